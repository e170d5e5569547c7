/**
 * Everything the gateway says in tests — response status lines, headers, bodies and log lines —
 * is recorded here, and every test file ends by checking that no test secret appears in it
 * (test/setup.ts). Request headers are not recorded: tests send the admin token on purpose.
 */
import { TEST_SECRETS } from "./secrets";

const recorded: string[] = [];

/** The secret values that must never be echoed (access key ids are public: they are in URLs). */
export const SECRET_VALUES: readonly string[] = [
  TEST_SECRETS.ADMIN_TOKEN,
  TEST_SECRETS.HMAC_TEST,
  TEST_SECRETS.HMAC_SHORT,
  TEST_SECRETS.HMAC_MULTIBYTE,
  (JSON.parse(TEST_SECRETS.S3_TEST) as { secretAccessKey: string }).secretAccessKey,
  (JSON.parse(TEST_SECRETS.S3_TEMP) as { secretAccessKey: string }).secretAccessKey,
];

export function recordOutput(text: string): void {
  recorded.push(text);
}

export async function recordResponse(response: Response): Promise<void> {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  recordOutput(`${response.status}\n${headers}\n\n${await response.clone().text()}`);
}

/** Every recorded text that contains a secret, with the secret's first characters. */
export function leaks(): string[] {
  return recorded.flatMap((text) =>
    SECRET_VALUES.filter((secret) => text.includes(secret)).map(
      (secret) => `${secret.slice(0, 6)}… in: ${text.slice(0, 200)}`,
    ),
  );
}

export function recordedCount(): number {
  return recorded.length;
}
