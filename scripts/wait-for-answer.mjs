// Waits until a local server the scripts started answers `url` with a 2xx; throws when its
// child process exits first or after `seconds`.
export async function waitForAnswer(url, child, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`nothing answered ${url} within ${seconds} s`);
}
