/**
 * The demo page (served at /demo when DEMO=1): Uppy's Dashboard and @uppy/aws-s3, unchanged,
 * with `signRequest` from edgesign/client. After each upload it asks the gateway for a download
 * URL and a short link. The token is pasted by the user (or passed as `#token=…`, which never
 * reaches a server); the page mints nothing and holds no secret.
 */
import AwsS3 from "@uppy/aws-s3";
import Uppy, { type UppyFile } from "@uppy/core";
import Dashboard from "@uppy/dashboard";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";
import { edgesign, EdgesignError } from "../src/client/index";

type Meta = Record<string, never>;
type Body = Record<string, never>;

const MiB = 1024 * 1024;
/** Files above this go multipart (Uppy's own default is 100 MB), so the demo shows both paths. */
const MULTIPART_ABOVE = 5 * MiB;
const TOKEN_KEY = "edgesign-demo-token";

const tokenInput = element<HTMLTextAreaElement>("#token");
const tokenState = element<HTMLDivElement>("#token-state");
const rows = element<HTMLTableSectionElement>("#results tbody");

const token = () => tokenInput.value.trim();

/** `#token=…` (never sent to a server) replaces the stored token and leaves the address bar. */
function tokenFromFragment(): void {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash === null) return;
  sessionStorage.setItem(TOKEN_KEY, fromHash);
  history.replaceState(null, "", location.pathname);
  tokenInput.value = fromHash;
  describeToken();
}
tokenFromFragment();
window.addEventListener("hashchange", tokenFromFragment);
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? "";
tokenInput.addEventListener("input", () => {
  sessionStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  describeToken();
});
describeToken();

const client = edgesign({ gateway: location.origin, token });

/** The relative key Uppy asked for, per file: the gateway calls below take relative keys. */
const relativeKeys = new Map<string, string>();

const uppy = new Uppy<Meta, Body>({ autoProceed: false });
uppy
  .use(Dashboard<Meta, Body>, {
    inline: true,
    target: "#uppy",
    height: 360,
    width: "100%",
    proudlyDisplayPoweredByUppy: false,
  })
  .use(AwsS3<Meta, Body>, {
    shouldUseMultipart: (file) => (file.size ?? 0) > MULTIPART_ABOVE,
    generateObjectKey: (file) => {
      const key = `demo-uploads/${crypto.randomUUID().slice(0, 8)}-${safeName(file.name ?? "file")}`;
      relativeKeys.set(file.id, key);
      return key;
    },
    // With the Uppy instance, the adapter confirms each upload on `upload-success`, so the
    // gateway sends the tenant's `upload.completed` webhooks (docs/webhooks.md).
    signRequest: client.uppy({
      uppy,
      onConfirmError: (error, key) => console.warn(`confirm of ${key} failed`, error),
    }),
  });

uppy.on("file-added", (file) => {
  row(file);
});
uppy.on("file-removed", (file) => {
  document.querySelector(`[data-file="${CSS.escape(file.id)}"]`)?.remove();
});
uppy.on("upload-progress", (file, progress) => {
  if (file === undefined || !progress.bytesTotal) return;
  const percent = Math.floor((progress.bytesUploaded / progress.bytesTotal) * 100);
  cell(file, "progress").textContent = `${percent} %`;
});
uppy.on("upload-success", (file) => {
  if (file === undefined) return;
  cell(file, "progress").textContent = "100 %";
  void links(file);
});
uppy.on("upload-error", (file, error) => {
  if (file === undefined) return;
  cell(file, "progress").textContent = "failed";
  cell(file, "download").textContent = error.message;
  cell(file, "download").className = "error";
});

/** A download URL (presigned GET, saved under the file's name) and a short link for `file`. */
async function links(file: UppyFile<Meta, Body>): Promise<void> {
  const key = relativeKeys.get(file.id);
  if (key === undefined) return;
  const name = file.name ?? "download";
  try {
    const [download, link] = await Promise.all([
      client.presign({
        method: "GET",
        key,
        expiresIn: 900,
        responseContentDisposition: `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"`,
      }),
      client.createLink({ key, ttl: 86_400, filename: name }),
    ]);
    anchor(cell(file, "download"), download.url, "download (15 min)", "download");
    anchor(cell(file, "link"), link.url, link.url, "short-link");
  } catch (error) {
    const message =
      error instanceof EdgesignError ? `${error.code}: ${error.message}` : String(error);
    cell(file, "link").textContent = message;
    cell(file, "link").className = "error";
  }
}

function row(file: UppyFile<Meta, Body>): void {
  const tr = document.createElement("tr");
  tr.dataset.file = file.id;
  tr.dataset.name = file.name ?? "";
  for (const name of ["name", "progress", "download", "link"]) {
    const td = document.createElement("td");
    td.className = name;
    tr.append(td);
  }
  rows.append(tr);
  cell(file, "name").textContent = `${file.name ?? "file"} (${file.size ?? 0} bytes)`;
  cell(file, "progress").textContent = "0 %";
}

function cell(file: UppyFile<Meta, Body>, name: string): HTMLElement {
  let tr = document.querySelector<HTMLTableRowElement>(`[data-file="${CSS.escape(file.id)}"]`);
  if (tr === null) {
    row(file);
    tr = document.querySelector<HTMLTableRowElement>(`[data-file="${CSS.escape(file.id)}"]`);
  }
  const td = tr?.querySelector<HTMLElement>(`td.${name}`);
  if (td === null || td === undefined) throw new Error(`no cell ${name}`);
  return td;
}

function anchor(parent: HTMLElement, href: string, text: string, role: string): void {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  a.dataset.role = role;
  a.rel = "noreferrer";
  a.target = "_blank";
  parent.replaceChildren(a);
}

/** Shows whose token this is and until when (decoded only: the gateway verifies it). */
function describeToken(): void {
  const parts = token().split(".");
  if (parts.length !== 3) {
    tokenState.textContent = "No token yet: uploads will be refused (401).";
    return;
  }
  try {
    const json = atob((parts[1] ?? "").replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as { iss?: string; sub?: string; exp?: number };
    const expires =
      claims.exp === undefined ? "?" : new Date(claims.exp * 1000).toLocaleTimeString();
    tokenState.textContent = `Tenant ${claims.iss ?? "?"}, user ${claims.sub ?? "?"}, expires ${expires}.`;
  } catch {
    tokenState.textContent = "This does not look like a JWT.";
  }
}

function safeName(name: string): string {
  return name.replace(/[\\/\u0000-\u001f\u007f]/g, "_").slice(0, 200) || "file";
}

function element<T extends Element>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`missing ${selector}`);
  return found;
}

// For the browser test and for curious users: the page's Uppy instance.
Object.assign(window, { edgesignDemo: { uppy } });
