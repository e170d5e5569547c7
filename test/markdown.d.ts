/** Vite's `?raw` suffix imports a file's text as a string (test/docs.test.ts reads docs/ this way). */
declare module "*.md?raw" {
  const text: string;
  export default text;
}
