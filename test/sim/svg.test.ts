import { describe, expect, it } from "vitest";
import { escapeXml, lineChart, mapDrawing } from "@choirmesh/sim/report/svg";

/** A strict enough well-formedness check: balanced tags, quoted attributes, known entities. */
function checkXml(s: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(s))) {
    const text = s.slice(last, m.index);
    if (/[<>]/.test(text)) throw new Error(`stray < or > near ${m.index}: ${text.slice(0, 40)}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`bad entity in ${text.slice(0, 40)}`);
    last = tag.lastIndex;
    if (m[0].startsWith("<!--")) continue;
    const [, close, name, , selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else if (!selfClose) stack.push(name);
  }
  if (/[<>]/.test(s.slice(last))) throw new Error("trailing markup");
  if (stack.length) throw new Error(`unclosed ${stack.join(",")}`);
}

describe("SVG writer", () => {
  it("escapes text", () => {
    expect(escapeXml(`a<b & "c" 'd'>`)).toBe("a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
  });

  it("writes a well-formed line chart with escaped labels and every series", () => {
    const svg = lineChart({
      title: "delay <all> & more",
      x: { label: "ms", min: 1, max: 1000, log: true },
      y: { label: "share", min: 0, max: 1 },
      series: [
        { name: "tree", color: "#f00", points: [[1, 0], [10, 0.5], [1000, 1]] },
        { name: "star & co", color: "#00f", points: [[2, 0], [Infinity, 1], [20, 1]], dashed: true },
      ],
      guides: [{ x: 30, label: "30 ms" }],
    });
    checkXml(svg);
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain("delay &lt;all&gt; &amp; more");
    expect(svg).toContain("star &amp; co");
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    // The non-finite point is dropped: the dashed line has two points.
    const dashed = /<polyline[^>]*stroke-dasharray[^>]*points="([^"]*)"/.exec(svg)!;
    expect(dashed[1].split(" ").length).toBe(2);
    // Log axis: 1, 2, 5, 10, ... 1000 ticks.
    expect(svg).toContain(">500<");
  });

  it("writes a well-formed map of a tree", () => {
    const svg = mapDrawing({
      title: "tree",
      backdrop: [{ lat: 48, lon: 2 }],
      nodes: [
        { id: "a", lat: 50, lon: 8, level: 0, dedicated: true, label: "Frankfurt & Co" },
        { id: "b", lat: 48, lon: 2, level: 1, dedicated: false },
      ],
      edges: [["a", "b"]],
      meshEdges: [["a", "b"]],
    });
    checkXml(svg);
    expect(svg).toContain("Frankfurt &amp; Co");
    expect(svg.match(/<line /g)?.length).toBe(2);
  });

  it("the checker catches broken markup", () => {
    expect(() => checkXml("<svg><g></svg>")).toThrow();
    expect(() => checkXml("<svg><text>a & b</text></svg>")).toThrow();
  });
});
