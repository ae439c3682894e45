import Evaluation
import Foundation
import SingleCell

/// A self-contained HTML report: one file with inline CSS and inline SVG figures, no
/// scripts and no external resources, so it can be mailed, archived or opened offline.
///
/// The markup is XHTML-compatible (every element closed, all text escaped, no named entities
/// beyond XML's own), so XML tools can read it as well as browsers.
///
/// ```swift
/// var report = HTMLReport(title: "Inverse transform", subtitle: "pbmc3k · 2,638 cells")
/// report.runInfo = [("c2s", "0.1.0"), ("input", "pbmc3k.h5ad")]
/// report.addSection("Fit")
/// report.addParagraph("Expression falls linearly with log rank.")
/// report.addFigure(densityPlot, id: "fit-density", caption: "Expression against log10 rank.")
/// report.addTable(ReportTable(columns: ["metric", "value"], rows: [["R²", .number(0.83)]]))
/// try report.write(to: "out/report.html")
/// ```
public struct HTMLReport: Sendable {
    /// Parts of the page in order.
    public enum Block: Sendable {
        case section(title: String, id: String)
        case subsection(title: String, id: String)
        case paragraph(String)
        /// `folded`: the summary line of a `<details>` element the table sits in, closed until
        /// the reader opens it (nil: shown open).
        case keyValues(caption: String?, pairs: [KeyValue], id: String?, folded: String?)
        case table(ReportTable)
        case figure(svg: String, id: String, caption: String?, number: Int)
        /// Pre-escaped, well-formed XHTML placed as is.
        case html(String)
    }

    /// One row of run information or settings.
    public struct KeyValue: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public var title: String
    public var subtitle: String?
    /// Run information shown under the title (tool version, input, date, …).
    public var runInfo: [KeyValue] = []
    /// A list of links to the sections after the header (when there are at least two).
    public var tableOfContents = true
    public private(set) var blocks: [Block] = []
    private var usedIDs: Set<String> = []
    private var figureCount = 0

    /// An empty report with a title (also the page title) and an optional subtitle.
    public init(title: String, subtitle: String? = nil) {
        self.title = title
        self.subtitle = subtitle
    }

    /// Sets run information from pairs, in order.
    public mutating func setRunInfo(_ pairs: [(String, String)]) {
        runInfo = pairs.map { KeyValue($0.0, $0.1) }
    }

    /// Starts a section (`<h2>`); returns its id (from `id` or the title, made unique).
    @discardableResult
    public mutating func addSection(_ title: String, id: String? = nil) -> String {
        let anchor = uniqueID(id ?? title, fallback: "section")
        blocks.append(.section(title: title, id: anchor))
        return anchor
    }

    /// A heading inside a section (`<h3>`); returns its id.
    @discardableResult
    public mutating func addSubsection(_ title: String, id: String? = nil) -> String {
        let anchor = uniqueID(id ?? title, fallback: "subsection")
        blocks.append(.subsection(title: title, id: anchor))
        return anchor
    }

    /// A paragraph of plain text (escaped; line breaks are kept).
    public mutating func addParagraph(_ text: String) {
        blocks.append(.paragraph(text))
    }

    /// A two-column table of settings or run parameters. With `folded`, the table is inside a
    /// `<details>` element whose summary line is `folded`: long lists of settings stay out of
    /// the reader's way until asked for.
    public mutating func addKeyValueTable(_ pairs: [(String, String)], caption: String? = nil, id: String? = nil, folded: String? = nil) {
        blocks.append(.keyValues(caption: caption, pairs: pairs.map { KeyValue($0.0, $0.1) },
                                 id: id.map { uniqueID($0, fallback: "table") }, folded: folded))
    }

    /// A table of values.
    public mutating func addTable(_ table: ReportTable) {
        var t = table
        t.id = table.id.map { uniqueID($0, fallback: "table") }
        blocks.append(.table(t))
    }

    /// A figure from SVG markup (trusted to be well-formed, as from this module's plots),
    /// numbered "Figure n." in its caption. Returns the figure's id (sanitised, unique).
    @discardableResult
    public mutating func addFigure(svg: String, id: String, caption: String? = nil) -> String {
        let anchor = uniqueID(id, fallback: "figure")
        figureCount += 1
        blocks.append(.figure(svg: svg, id: anchor, caption: caption, number: figureCount))
        return anchor
    }

    /// A figure rendered from a plot.
    @discardableResult
    public mutating func addFigure(_ figure: some SVGFigure, id: String, caption: String? = nil) -> String {
        addFigure(svg: figure.render(), id: id, caption: caption)
    }

    /// Well-formed, escaped XHTML placed as is (for anything the other blocks cannot say).
    public mutating func addRawHTML(_ markup: String) {
        blocks.append(.html(markup))
    }

    // MARK: Rendering

    /// The whole page.
    public func render() -> String {
        var h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
        h += "<meta charset=\"utf-8\"/>\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        h += "<title>\(esc(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n<main>\n"
        h += "<header>\n<h1>\(esc(title))</h1>\n"
        if let subtitle, !subtitle.isEmpty { h += "<p class=\"subtitle\">\(esc(subtitle))</p>\n" }
        if !runInfo.isEmpty {
            h += "<dl class=\"run-info\">"
            for kv in runInfo { h += "<div><dt>\(esc(kv.key))</dt><dd>\(esc(kv.value))</dd></div>" }
            h += "</dl>\n"
        }
        h += "</header>\n"
        let sections = blocks.compactMap { b -> (String, String)? in
            if case .section(let t, let id) = b { return (t, id) }
            return nil
        }
        if tableOfContents && sections.count >= 2 {
            h += "<nav class=\"toc\"><h2>Contents</h2><ol>"
            for (t, id) in sections { h += "<li><a href=\"#\(esc(id))\">\(esc(t))</a></li>" }
            h += "</ol></nav>\n"
        }
        var inSection = false
        for block in blocks {
            switch block {
            case .section(let t, let id):
                if inSection { h += "</section>\n" }
                h += "<section id=\"\(esc(id))\">\n<h2>\(esc(t))</h2>\n"
                inSection = true
            case .subsection(let t, let id):
                h += "<h3 id=\"\(esc(id))\">\(esc(t))</h3>\n"
            case .paragraph(let text):
                h += "<p>" + esc(text).replacingOccurrences(of: "\n", with: "<br/>") + "</p>\n"
            case .keyValues(let caption, let pairs, let id, let folded):
                if let folded { h += "<details class=\"settings\"><summary>\(esc(folded))</summary>" }
                h += "<table class=\"settings\"\(id.map { " id=\"\(esc($0))\"" } ?? "")>"
                if let caption { h += "<caption>\(esc(caption))</caption>" }
                h += "<tbody>"
                for kv in pairs { h += "<tr><th scope=\"row\">\(esc(kv.key))</th><td>\(esc(kv.value))</td></tr>" }
                h += "</tbody></table>" + (folded != nil ? "</details>" : "") + "\n"
            case .table(let t):
                h += renderTable(t)
            case .figure(let svg, let id, let caption, let number):
                h += "<figure id=\"\(esc(id))\">\n\(svg)\n"
                if let caption, !caption.isEmpty {
                    h += "<figcaption><span class=\"fig-number\">Figure \(number).</span> \(esc(caption))</figcaption>\n"
                }
                h += "</figure>\n"
            case .html(let markup):
                h += markup + "\n"
            }
        }
        if inSection { h += "</section>\n" }
        h += "</main>\n</body>\n</html>\n"
        return h
    }

    private func renderTable(_ t: ReportTable) -> String {
        let numericColumn = t.columns.indices.map { col in
            t.rows.contains { $0.count > col && $0[col].isNumeric }
                && t.rows.allSatisfy { $0.count <= col || $0[col].isNumeric || $0[col] == .empty }
        }
        var h = "<div class=\"table-wrap\"><table class=\"metrics\"\(t.id.map { " id=\"\(esc($0))\"" } ?? "")>"
        if let caption = t.caption { h += "<caption>\(esc(caption))</caption>" }
        h += "<thead><tr>"
        for (i, c) in t.columns.enumerated() {
            h += "<th scope=\"col\"\(numericColumn[i] ? " class=\"num\"" : "")>\(esc(c))</th>"
        }
        h += "</tr></thead><tbody>"
        for row in t.rows {
            h += "<tr>"
            for i in 0..<max(t.columns.count, row.count) {
                let v = i < row.count ? row[i] : .empty
                let numeric = i < numericColumn.count ? numericColumn[i] : v.isNumeric
                h += "<td\(numeric ? " class=\"num\"" : "")>\(esc(v.formatted(decimals: t.decimals[i])))</td>"
            }
            h += "</tr>"
        }
        h += "</tbody></table></div>\n"
        return h
    }

    private func esc(_ s: String) -> String { XMLEscaping.escape(s) }

    private mutating func uniqueID(_ raw: String, fallback: String) -> String {
        var base = Self.slug(raw)
        if base.isEmpty { base = fallback }
        var id = base
        var n = 2
        while usedIDs.contains(id) {
            id = "\(base)-\(n)"
            n += 1
        }
        usedIDs.insert(id)
        return id
    }

    /// Lower-case ASCII letters, digits, `-` and `_`; other runs become `-`; starts with a letter.
    static func slug(_ s: String) -> String {
        var out = ""
        var lastDash = false
        for scalar in s.lowercased().unicodeScalars {
            if scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_") {
                out.unicodeScalars.append(scalar)
                lastDash = false
            } else if !lastDash && !out.isEmpty {
                out += "-"
                lastDash = true
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        if let first = out.first, !first.isLetter { out = "id-" + out }
        return out
    }

    // MARK: Writing

    /// Writes the page to `path` atomically: the HTML goes to a temporary file in the same
    /// folder, which is then renamed over `path` (a single `rename(2)`, so readers see either
    /// the old file or the complete new one). Missing parent folders are created.
    public func write(to path: String) throws {
        try AtomicTextFile.write(render(), to: path)
    }

    // MARK: Style

    static let css = """
    :root { color-scheme: light; }
    body { margin: 0; background: #f6f6f4; color: #222; font: 15px/1.5 -apple-system, 'Segoe UI', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; }
    main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
    header { border-bottom: 1px solid #ddd; margin-bottom: 20px; padding-bottom: 12px; }
    h1 { font-size: 26px; margin: 8px 0 4px; }
    h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #eee; }
    h3 { font-size: 16px; margin: 22px 0 8px; }
    p { max-width: 80ch; margin: 8px 0; }
    .subtitle { color: #555; font-size: 16px; margin: 0 0 8px; }
    .run-info { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 8px 0 0; font-size: 13px; color: #444; }
    .run-info div { display: flex; gap: 6px; }
    .run-info dt { font-weight: 600; color: #666; }
    .run-info dd { margin: 0; font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
    nav.toc h2 { font-size: 15px; border: none; margin: 12px 0 4px; }
    nav.toc ol { margin: 0; padding-left: 22px; columns: 2 220px; max-width: 640px; }
    a { color: #0a5a9c; }
    table { border-collapse: collapse; margin: 12px 0 20px; font-size: 14px; }
    caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 6px; }
    th, td { padding: 4px 12px; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
    thead th { border-bottom: 2px solid #bbb; }
    table.settings th { font-weight: 600; color: #444; }
    table.settings td { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px; word-break: break-all; }
    details.settings { margin: 8px 0 20px; }
    details.settings summary { cursor: pointer; font-weight: 600; color: #444; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    tbody tr:nth-child(even) { background: #fafafa; }
    .table-wrap { overflow-x: auto; }
    figure { margin: 16px 0 28px; }
    figure svg { max-width: 100%; height: auto; display: block; }
    .figure-grid { display: flex; flex-wrap: wrap; gap: 0 12px; }
    .figure-grid figure { margin: 8px 0; }
    figcaption { font-size: 14px; color: #333; max-width: 90ch; margin-top: 6px; }
    .fig-number { font-weight: 600; }
    @media print { body { background: #fff; } main { padding: 0; } figure, table { break-inside: avoid; } }

    """
}
