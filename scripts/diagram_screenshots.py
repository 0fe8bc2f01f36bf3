"""Draw each .bpmn given (default: every shipped diagram) in bpmn-js in Chromium at 100 % and save a PNG per file,
to look at a layout before and after changing it; `--labels` also prints where bpmn-js put each external label.

    .venv/bin/python scripts/diagram_screenshots.py OUT_DIR [files...] [--labels]
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TILE = 1800
VIEWER = ROOT / "node_modules/bpmn-js/dist"
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="{assets}/diagram-js.css"><link rel="stylesheet" href="{assets}/bpmn-js.css">
<style>html,body,#canvas{{margin:0;width:100%;height:100%}}</style>
<script src="{viewer}"></script></head><body><div id="canvas"></div></body></html>"""


def main(argv: list[str]) -> None:
    """Screenshot the diagrams into argv[0]."""
    from playwright.sync_api import sync_playwright

    labels = "--labels" in argv
    args = [a for a in argv if a != "--labels"]
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    files = [Path(a) for a in args[1:]] or sorted((ROOT / "processes").rglob("*.bpmn"))
    html = out / "viewer.html"
    html.write_text(PAGE.format(assets=(VIEWER / "assets").as_uri(),
                                viewer=(VIEWER / "bpmn-viewer.development.js").as_uri()), encoding="utf-8")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for path in files:
            page = browser.new_page(viewport={"width": 1360, "height": 900})
            page.goto(html.as_uri())
            box = page.evaluate("""async (xml) => {
                window.viewer = new BpmnJS({container: '#canvas'});
                await viewer.importXML(xml);
                const inner = viewer.get('canvas').viewbox().inner;
                return {x: inner.x, y: inner.y, width: inner.width, height: inner.height};
            }""", path.read_text(encoding="utf-8"))
            width, height = int(box["width"]) + 80, int(box["height"]) + 80
            page.set_viewport_size({"width": min(width, 16000), "height": min(height, 16000)})
            page.evaluate("""(box) => viewer.get('canvas').viewbox(
                {x: box.x - 40, y: box.y - 40, width: box.width + 80, height: box.height + 80})""", box)
            page.screenshot(path=str(out / f"{path.stem}.png"))
            for i, left in enumerate(range(0, min(width, 16000), TILE)):     # pieces small enough to look at
                for j, top in enumerate(range(0, min(height, 16000), TILE * 2 // 3)):
                    if width > TILE or height > TILE * 2 // 3:
                        clip = {"x": left, "y": top, "width": min(TILE, width - left),
                                "height": min(TILE * 2 // 3, height - top)}
                        page.screenshot(path=str(out / f"{path.stem}-{i}-{j}.png"), clip=clip)
            if labels:
                found = page.evaluate("""() => viewer.get('elementRegistry').filter(e => e.type === 'label')
                    .map(e => [e.businessObject.id, e.x, e.y, e.width, e.height, e.businessObject.name])""")
                print(json.dumps({path.name: found}, ensure_ascii=False))
            print(path.name, box, file=sys.stderr)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
