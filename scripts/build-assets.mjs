// Bundles each web/assets-src/*.js entry (and the CSS it imports) into web/static/dist/ with esbuild, for the
// pages that need npm packages combined (the bpmn-js properties panel, dmn-js). `make` runs it; the output is not
// committed. Packages used as they ship (echarts, htmx, swagger-ui) are served from node_modules instead.
import { build } from "esbuild";
import { readdirSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const source = "web/assets-src";
const entries = readdirSync(source).filter((name) => name.endsWith(".js")).map((name) => join(source, name));
mkdirSync("web/static/dist", { recursive: true });
if (entries.length) {
  await build({
    entryPoints: entries,
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome100", "firefox100", "safari15"],
    outdir: "web/static/dist",
    loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".eot": "dataurl", ".svg": "dataurl" },
    jsx: "automatic",
    jsxImportSource: "@bpmn-io/properties-panel/preact",
    logLevel: "warning",
  });
}
console.log(`built ${entries.length} bundle(s) into web/static/dist`);
