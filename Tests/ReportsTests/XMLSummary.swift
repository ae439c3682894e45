import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// What a parsed XML document holds: element counts, attributes, and the text of each element.
final class XMLSummary: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        /// Character data directly inside this element.
        var text: String
        /// Character data of this element and all its descendants.
        var fullText: String
        var ancestors: [String]
    }

    private(set) var elements: [Element] = []
    private var stack: [Int] = []
    private var parseError: Error?

    /// Parses `markup`; fails the calling test (and throws) if it is not well-formed.
    static func parse(_ markup: String, file: StaticString = #filePath, line: UInt = #line) throws -> XMLSummary {
        let summary = XMLSummary()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = summary
        let ok = parser.parse()
        if !ok {
            let err = parser.parserError ?? summary.parseError
            XCTFail("not well-formed XML: \(String(describing: err)) at line \(parser.lineNumber), column \(parser.columnNumber)",
                    file: file, line: line)
            throw err ?? NSError(domain: "xml", code: 1)
        }
        return summary
    }

    func count(_ name: String) -> Int { elements.filter { $0.name == name }.count }

    func elements(_ name: String) -> [Element] { elements.filter { $0.name == name } }

    /// Text content of every `<text>` element (SVG), in document order.
    var svgTexts: [String] { elements("text").map(\.text) }

    /// Elements carrying `attribute` equal to `value`.
    func with(_ attribute: String, _ value: String) -> [Element] {
        elements.filter { $0.attributes[attribute] == value }
    }

    /// Elements whose `class` attribute contains `cssClass`.
    func classed(_ cssClass: String) -> [Element] {
        elements.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cssClass)) }
    }

    /// Number of `name` elements inside elements with class `cssClass`.
    func count(_ name: String, inClass cssClass: String) -> Int {
        let groups = Set(elements.indices.filter {
            (elements[$0].attributes["class"] ?? "").split(separator: " ").contains(Substring(cssClass))
        }.map { "\($0)" })
        return elements.filter { $0.name == name && $0.ancestors.contains(where: groups.contains) }.count
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributeDict, text: "", fullText: "", ancestors: stack.map { "\($0)" }))
        stack.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = stack.last { elements[last].text += string }
        for i in stack { elements[i].fullText += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        self.parseError = parseError
    }
}

/// A small deterministic random generator for synthetic test data.
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
