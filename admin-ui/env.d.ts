/** Stylesheets imported by admin-ui/app.ts are bundled by esbuild into app.css. */
declare module "*.css";
