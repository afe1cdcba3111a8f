// A small Markdown renderer that builds DOM nodes and never parses HTML: every piece of
// model output becomes a text node, so no output can inject markup or script. Links are
// made only for http(s) URLs. Covers what chat answers use: paragraphs, line breaks,
// fenced and inline code, **bold**, *italic*, headings, bullet and numbered lists,
// > quotes, and [text](url) / bare URLs. A citation marker [n] goes to `cite(n)`, which
// returns a node for it (a link to the cited post's card) or null to leave it as text;
// markers in code stay code, so an answer can still show a literal [1].
"use strict";

(function (global) {
  function inline(parent, text, cite) {
    // code spans first, so nothing inside them is formatted
    const parts = text.split(/(`[^`\n]+`)/);
    for (const part of parts) {
      if (part.length > 1 && part.startsWith("`") && part.endsWith("`")) {
        const code = document.createElement("code");
        code.textContent = part.slice(1, -1);
        parent.appendChild(code);
      } else {
        emphasis(parent, part, cite);
      }
    }
  }

  // [n] comes last: at the same place, a [text](url) link wins over a bare marker.
  const TOKEN = /(\*\*[^*\n]+\*\*|\*[^*\s][^*\n]*\*|\[[^\]\n]+\]\(https?:\/\/[^\s)]+\)|https?:\/\/[^\s<>"')\]]+|\[\d{1,4}\])/;

  function emphasis(parent, text, cite) {
    for (const part of text.split(TOKEN)) {
      if (!part) continue;
      let m, node;
      if (part.startsWith("**") && part.endsWith("**") && part.length > 4) {
        const b = document.createElement("strong");
        emphasis(b, part.slice(2, -2), cite);
        parent.appendChild(b);
      } else if (part.startsWith("*") && part.endsWith("*") && part.length > 2) {
        const i = document.createElement("em");
        emphasis(i, part.slice(1, -1), cite);
        parent.appendChild(i);
      } else if ((m = part.match(/^\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)$/))) {
        parent.appendChild(link(m[1], m[2]));
      } else if (/^https?:\/\//.test(part)) {
        parent.appendChild(link(part, part));
      } else if ((m = part.match(/^\[(\d+)\]$/)) && cite && (node = cite(Number(m[1])))) {
        parent.appendChild(node);
      } else {
        parent.appendChild(document.createTextNode(part));
      }
    }
  }

  function link(text, href) {
    const a = document.createElement("a");
    a.textContent = text;
    a.href = href; // a property, not markup: only http(s) URLs reach here
    a.rel = "noopener noreferrer nofollow";
    a.target = "_blank";
    return a;
  }

  function render(source, cite) {
    const root = document.createDocumentFragment();
    const lines = String(source).split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (/^```/.test(line)) {
        const pre = document.createElement("pre");
        const code = document.createElement("code");
        const body = [];
        i++;
        while (i < lines.length && !/^```/.test(lines[i])) body.push(lines[i++]);
        i++; // the closing fence (or the end of an unfinished stream)
        code.textContent = body.join("\n");
        pre.appendChild(code);
        root.appendChild(pre);
        continue;
      }
      let m;
      if ((m = line.match(/^(#{1,6})\s+(.*)$/))) {
        const h = document.createElement("h" + Math.min(6, m[1].length + 2));
        inline(h, m[2], cite);
        root.appendChild(h);
        i++;
        continue;
      }
      if (/^\s*([-*+]|\d+[.)])\s+/.test(line)) {
        const ordered = /^\s*\d/.test(line);
        const list = document.createElement(ordered ? "ol" : "ul");
        while (i < lines.length && /^\s*([-*+]|\d+[.)])\s+/.test(lines[i])) {
          const li = document.createElement("li");
          inline(li, lines[i].replace(/^\s*([-*+]|\d+[.)])\s+/, ""), cite);
          list.appendChild(li);
          i++;
        }
        root.appendChild(list);
        continue;
      }
      if (/^>\s?/.test(line)) {
        const q = document.createElement("blockquote");
        const body = [];
        while (i < lines.length && /^>\s?/.test(lines[i])) body.push(lines[i++].replace(/^>\s?/, ""));
        q.appendChild(render(body.join("\n"), cite));
        root.appendChild(q);
        continue;
      }
      if (!line.trim()) {
        i++;
        continue;
      }
      const p = document.createElement("p");
      const body = [];
      body.push(lines[i++]); // this line starts no other block; the paragraph runs to the next one
      while (i < lines.length && lines[i].trim() && !/^(```|#{1,6}\s|>|\s*([-*+]|\d+[.)])\s+)/.test(lines[i])) body.push(lines[i++]);
      body.forEach((l, k) => {
        if (k) p.appendChild(document.createElement("br"));
        inline(p, l, cite);
      });
      root.appendChild(p);
    }
    return root;
  }

  global.renderMarkdown = render;
})(window);
