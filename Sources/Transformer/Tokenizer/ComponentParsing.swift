/// Builds the pipeline components from their `tokenizer.json` objects. Unknown `type`s are
/// reported with the list of supported ones; `null` means "no component".
extension SpecReader {
    func normalizer(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Normalizer? {
        guard let value, !value.isNull else { return nil }
        let spec = try object(value, path)
        let type = try self.type(spec, path)
        switch type {
        case "NFC": return .nfc
        case "NFD": return .nfd
        case "NFKC": return .nfkc
        case "NFKD": return .nfkd
        case "Lowercase": return .lowercase
        case "ByteLevel": return .byteLevel
        case "Strip":
            return .strip(left: try bool(spec["strip_left"], path + ".strip_left", default: false),
                          right: try bool(spec["strip_right"], path + ".strip_right", default: false))
        case "Replace":
            return .replace(pattern: try stringPattern(spec["pattern"], path + ".pattern", component: "normalizer Replace"),
                            content: Array(try string(spec["content"], path + ".content").utf8))
        case "Prepend":
            return .prepend(Array(try string(spec["prepend"], path + ".prepend").utf8))
        case "Sequence":
            var steps: [Normalizer] = []
            for (i, item) in try array(spec["normalizers"], path + ".normalizers").enumerated() {
                if let step = try normalizer(item, "\(path).normalizers[\(i)]") { steps.append(step) }
            }
            return .sequence(steps)
        default:
            throw TokenizerError.unsupported(file: file, at: path, component: "normalizer type", name: type, supported: Normalizer.supported)
        }
    }

    func preTokenizer(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> PreTokenizer? {
        guard let value, !value.isNull else { return nil }
        let spec = try object(value, path)
        let type = try self.type(spec, path)
        switch type {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try bool(spec["add_prefix_space"], path + ".add_prefix_space", default: true),
                              useRegex: try bool(spec["use_regex"], path + ".use_regex", default: true))
        case "Split":
            let name = try string(spec["behavior"], path + ".behavior")
            guard let behavior = SplitBehavior(rawValue: name) else {
                throw invalid(path + ".behavior", "unknown behavior '\(name)' (known: \(SplitBehavior.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return .split(pattern: try stringPattern(spec["pattern"], path + ".pattern", component: "pre-tokenizer Split"),
                          behavior: behavior, invert: try bool(spec["invert"], path + ".invert", default: false))
        case "Metaspace":
            let replacement = try scalar(spec["replacement"], path + ".replacement")
            var utf8: [UInt8] = []
            appendUTF8(replacement, to: &utf8)
            return .metaspace(replacement: utf8, scheme: try prependScheme(spec, path), split: try bool(spec["split"], path + ".split", default: true))
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "Sequence":
            var steps: [PreTokenizer] = []
            for (i, item) in try array(spec["pretokenizers"], path + ".pretokenizers").enumerated() {
                if let step = try preTokenizer(item, "\(path).pretokenizers[\(i)]") { steps.append(step) }
            }
            return .sequence(steps)
        default:
            throw TokenizerError.unsupported(file: file, at: path, component: "pre-tokenizer type", name: type, supported: PreTokenizer.supported)
        }
    }

    /// `prepend_scheme`, honouring the legacy `add_prefix_space: false` (which means "never").
    private func prependScheme(_ spec: JSONValue, _ path: String) throws(TokenizerError) -> PreTokenizer.PrependScheme {
        var scheme = PreTokenizer.PrependScheme.always
        if let value = spec["prepend_scheme"], !value.isNull {
            let name = try string(value, path + ".prepend_scheme")
            guard let s = PreTokenizer.PrependScheme(rawValue: name) else {
                throw invalid(path + ".prepend_scheme", "unknown scheme '\(name)' (known: always, first, never)")
            }
            scheme = s
        }
        if try bool(spec["add_prefix_space"], path + ".add_prefix_space", default: true) == false {
            guard scheme == .never || spec["prepend_scheme"] == nil else {
                throw invalid(path, "add_prefix_space does not match declared prepend_scheme")
            }
            scheme = .never
        }
        return scheme
    }

    func decoder(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Decoder? {
        guard let value, !value.isNull else { return nil }
        let spec = try object(value, path)
        let type = try self.type(spec, path)
        switch type {
        case "ByteLevel": return .byteLevel
        case "ByteFallback": return .byteFallback
        case "Fuse": return .fuse
        case "Replace":
            return .replace(pattern: try stringPattern(spec["pattern"], path + ".pattern", component: "decoder Replace"),
                            content: Array(try string(spec["content"], path + ".content").utf8))
        case "Strip":
            return .strip(content: try scalar(spec["content"], path + ".content"),
                          start: try int(spec["start"], path + ".start", range: 0...1 << 20),
                          stop: try int(spec["stop"], path + ".stop", range: 0...1 << 20))
        case "Metaspace":
            return .metaspace(replacement: try scalar(spec["replacement"], path + ".replacement"), prependScheme: try prependScheme(spec, path))
        case "BPEDecoder":
            let suffix = try optionalString(spec["suffix"], path + ".suffix") ?? "</w>"
            return .bpe(suffix: Array(suffix.utf8))
        case "Sequence":
            var steps: [Decoder] = []
            for (i, item) in try array(spec["decoders"], path + ".decoders").enumerated() {
                if let step = try decoder(item, "\(path).decoders[\(i)]") { steps.append(step) }
            }
            return .sequence(steps)
        default:
            throw TokenizerError.unsupported(file: file, at: path, component: "decoder type", name: type, supported: Decoder.supported)
        }
    }

    func postProcessor(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> PostProcessor? {
        guard let value, !value.isNull else { return nil }
        let spec = try object(value, path)
        let type = try self.type(spec, path)
        switch type {
        case "ByteLevel": return .byteLevel
        case "TemplateProcessing": return try template(spec, path)
        case "RobertaProcessing", "BertProcessing":
            return .template([.special([try tokenPair(spec["cls"], path + ".cls")]), .sequence,
                              .special([try tokenPair(spec["sep"], path + ".sep")])])
        case "Sequence":
            var steps: [PostProcessor] = []
            for (i, item) in try array(spec["processors"], path + ".processors").enumerated() {
                if let step = try postProcessor(item, "\(path).processors[\(i)]") { steps.append(step) }
            }
            return .sequence(steps)
        default:
            throw TokenizerError.unsupported(file: file, at: path, component: "post-processor type", name: type, supported: PostProcessor.supported)
        }
    }

    /// `["<s>", 0]` in Roberta/Bert processors: the id.
    private func tokenPair(_ value: JSONValue?, _ path: String) throws(TokenizerError) -> Int32 {
        let pair = try array(value, path)
        guard pair.count == 2 else { throw invalid(path, "expected [token, id]") }
        _ = try string(pair[0], path + "[0]")
        return Int32(try int(pair[1], path + "[1]", range: 0...Int(Int32.max)))
    }

    /// `TemplateProcessing`: the `single` template, its special tokens resolved to ids.
    private func template(_ spec: JSONValue, _ path: String) throws(TokenizerError) -> PostProcessor {
        var specials: [String: [Int32]] = [:]
        if let table = spec["special_tokens"], !table.isNull {
            guard let members = try object(table, path + ".special_tokens").objectValue else { return .template([]) }
            for (name, entry) in members {
                let p = "\(path).special_tokens.\(name)"
                var ids: [Int32] = []
                for (i, id) in try array(try object(entry, p)["ids"], p + ".ids").enumerated() {
                    ids.append(Int32(try int(id, "\(p).ids[\(i)]", range: 0...Int(Int32.max))))
                }
                specials[name] = ids
            }
        }
        var elements: [PostProcessor.TemplateElement] = []
        for (i, item) in try array(spec["single"], path + ".single").enumerated() {
            let p = "\(path).single[\(i)]"
            let piece = try object(item, p)
            if let special = piece["SpecialToken"] {
                let name = try string(try object(special, p + ".SpecialToken")["id"], p + ".SpecialToken.id")
                guard let ids = specials[name] else { throw invalid(p, "special token '\(name)' is missing from special_tokens") }
                elements.append(.special(ids))
            } else if let sequence = piece["Sequence"] {
                let id = try string(try object(sequence, p + ".Sequence")["id"], p + ".Sequence.id")
                guard id == "A" else { throw invalid(p, "a single-sequence template can only hold sequence A, found \(id)") }
                elements.append(.sequence)
            } else {
                throw invalid(p, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}")
            }
        }
        return .template(elements)
    }
}
