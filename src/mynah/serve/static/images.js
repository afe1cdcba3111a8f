// Visual answers on the chat page: "chart of coffee" (or "show me a chart about coffee",
// "/chart coffee", the Chart button) asks POST /v1/images/chart for a chart of the posts
// that match, and shows it with its caption and its provenance (the C2PA manifest and XMP
// the server signed into the PNG).
"use strict";

const CHART_ASK = [
  /^\/chart\s+(.+)$/i,
  /^(?:please\s+)?(?:show me|make|draw|give me)?\s*(?:a\s+|the\s+)?(?:chart|graph|plot)\s+(?:of|about|for|on)\s+(.+)$/i,
  /^(?:please\s+)?show me\s+(.+?)\s+over time\??$/i,
];

// The topic of a chart request, or null when the text is not one.
function chartTopic(text) {
  for (const re of CHART_ASK) {
    const m = text.trim().match(re);
    if (m) {
      const topic = m[1].replace(/\b(posts?|over time|per (day|hour))\b/gi, "").replace(/[?.!]+$/, "").trim();
      return topic || null;
    }
  }
  return null;
}

function chartProvenance(prov) {
  const el = document.createElement("div");
  el.className = "provenance on image-provenance";
  const kind = (prov.digital_source_type || "").split("/").pop();
  const signer = prov.signer && prov.signer.self_signed ? "self-signed deployment certificate" : "deployment certificate";
  el.textContent = `C2PA-signed (${kind}) · XMP · drawn by mynah ${prov.mynah_version} from stored posts`;
  el.title = `Content Credentials: a C2PA manifest signed with this server's ${signer}, made ${prov.created}. ` +
    "Check the file with: mynah detect-image FILE";
  return el;
}

// Shows a chart response in an assistant bubble.
function renderChart(div, d) {
  const fig = document.createElement("figure");
  fig.className = "chart";
  const img = document.createElement("img");
  img.src = "data:image/png;base64," + d.data[0].b64_json;
  img.alt = d.caption;
  const cap = document.createElement("figcaption");
  cap.textContent = d.caption;
  fig.append(img, cap);
  div.replaceChildren(fig, chartProvenance(d.provenance));
}
