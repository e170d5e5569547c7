/** Every route group of the gateway, in the order the app mounts them. */
import { admin } from "./admin";
import { adminUi } from "./admin-ui";
import { demo } from "./demo";
import { health } from "./health";
import { links } from "./links";
import { presign } from "./presign";
import { signRequest } from "./sign-request";
import { uploads } from "./uploads";

export const routers = [health, presign, uploads, signRequest, admin, links, demo, adminUi];
