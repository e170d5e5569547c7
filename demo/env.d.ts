/** Stylesheets imported by demo/app.ts are bundled by esbuild into app.css. */
declare module "*.css";
