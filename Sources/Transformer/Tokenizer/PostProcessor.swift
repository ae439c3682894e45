/// The `post_processor` of `tokenizer.json`, for a single sequence: adds the special tokens its
/// template asks for (only when special tokens are requested).
indirect enum PostProcessor: Sendable {
    /// `TemplateProcessing`'s `single` template: each element is the sequence ($A) or the ids of
    /// a special token.
    case template([TemplateElement])
    /// `ByteLevel` (offsets only) and `RobertaProcessing`/`BertProcessing` reduce to templates.
    case byteLevel
    case sequence([PostProcessor])

    enum TemplateElement: Sendable, Equatable {
        case sequence
        case special([Int32])
    }

    static let supported = ["TemplateProcessing", "ByteLevel", "RobertaProcessing", "BertProcessing", "Sequence"]

    func process(_ ids: [Int32], addSpecialTokens: Bool) -> [Int32] {
        switch self {
        case .byteLevel:
            return ids
        case .sequence(let steps):
            var ids = ids
            for step in steps { ids = step.process(ids, addSpecialTokens: addSpecialTokens) }
            return ids
        case .template(let elements):
            var out: [Int32] = []
            out.reserveCapacity(ids.count + 4)
            for element in elements {
                switch element {
                case .sequence: out.append(contentsOf: ids)
                case .special(let special): if addSpecialTokens { out.append(contentsOf: special) }
                }
            }
            return out
        }
    }
}
