// After the Tailwind build: drop the design system's @font-face rules that load fonts from a
// CDN (the portal serves its own), and copy the fonts and the design system's script beside
// the stylesheet. Fails the build if any remote URL is left in the CSS.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "static", "dist");
const cssPath = join(dist, "portal.css");

let css = readFileSync(cssPath, "utf8");
const before = css.length;
css = css.replace(/@font-face\{[^}]*https?:\/\/[^}]*\}/g, "");
const remote = css.match(/url\(["']?https?:\/\/[^)]*\)/g);
if (remote) {
  console.error("Remote URLs left in portal.css:", remote.slice(0, 5));
  process.exit(1);
}
writeFileSync(cssPath, css);

const fontsUsed = [...css.matchAll(/url\(["']?fonts\/([^"')]+)["']?\)/g)].map((m) => m[1]);
mkdirSync(join(dist, "fonts"), { recursive: true });
for (const file of new Set(fontsUsed)) {
  const family = file.match(/^(.*)-(arabic|latin)-\d{3}-normal\.woff2$/)[1];
  copyFileSync(join(root, "node_modules", "@fontsource", family, "files", file), join(dist, "fonts", file));
}
const aegov = join(root, "node_modules", "@aegov", "design-system", "dist");
for (const name of ["aegov-scripts.min.js", "aegov-scripts.min.js.map"]) {
  copyFileSync(join(aegov, name), join(dist, name));
}
// The portal's own scripts (focus and announcements), served beside the stylesheet.
for (const name of ["portal-a11y.js"]) {
  copyFileSync(join(root, "static", "src", name), join(dist, name));
}
console.log(
  `portal.css: ${css.length} bytes (${before - css.length} of CDN font rules removed); ` +
    `${new Set(fontsUsed).size} fonts copied; ${readdirSync(dist).length} entries in static/dist`,
);
