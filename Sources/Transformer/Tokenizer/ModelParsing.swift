/// Builds the BPE model from `tokenizer.json`'s `model` object, checking what `tokenizers`
/// checks (every merge and its result are in the vocabulary) and refusing what we do not have.
extension SpecReader {
    static let supportedModels = ["BPE"]

    func bpeModel(_ value: JSONValue?) throws(TokenizerError) -> BPEModel {
        let spec = try object(value, "model")
        let type: String
        if let t = spec["type"] {
            type = try string(t, "model.type")
        } else {
            // Files from old `tokenizers` versions have no type; only BPE has merges.
            type = spec["merges"] != nil ? "BPE" : spec["unk_id"] != nil ? "Unigram" : spec["max_input_chars_per_word"] != nil ? "WordPiece" : "WordLevel"
        }
        guard type == "BPE" else {
            throw TokenizerError.unsupported(file: file, at: "model.type", component: "model type", name: type, supported: SpecReader.supportedModels)
        }
        if let dropout = spec["dropout"], !dropout.isNull {
            guard let d = dropout.doubleValue else { throw invalid("model.dropout", "expected a number or null, found \(dropout.typeName)") }
            guard d == 0 else {
                throw TokenizerError(.unsupported, file: file, "model.dropout: BPE dropout \(d) is not supported (supported: null or 0; dropout is for training)")
            }
        }
        let prefix = try optionalString(spec["continuing_subword_prefix"], "model.continuing_subword_prefix").map { Array($0.utf8) }
        let suffix = try optionalString(spec["end_of_word_suffix"], "model.end_of_word_suffix").map { Array($0.utf8) }

        // vocab: {token: id}
        let members = try object(spec["vocab"], "model.vocab").objectValue ?? []
        var vocab = ByteTable(expectedCount: members.count)
        var maxID = -1
        for (token, id) in members {
            let i = try int(id, "model.vocab[\"\(token)\"]", range: 0...Int(Int32.max) - 1)
            maxID = max(maxID, i)
            vocab.set(Array(token.utf8), Int32(i))
        }
        guard maxID < 4 * vocab.count + 1024 else {
            throw invalid("model.vocab", "ids are too sparse (largest \(maxID) for \(vocab.count) tokens)")
        }
        var tokens = [[UInt8]?](repeating: nil, count: maxID + 1)
        vocab.forEach { bytes, id in tokens[Int(id)] = bytes }

        // merges: ["a b", ...] (older files) or [["a", "b"], ...]
        let mergeItems = try array(spec["merges"], "model.merges")
        var merges = MergeTable(expectedCount: mergeItems.count)
        let prefixLength = prefix?.count ?? 0
        var rank: Int32 = 0
        for (i, item) in mergeItems.enumerated() {
            let path = "model.merges[\(i)]"
            let left: [UInt8], right: [UInt8]
            switch item {
            case .string(let line):
                if line.hasPrefix("#version") { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw invalid(path, "expected \"left right\" (two tokens separated by one space), found \"\(line)\"") }
                left = Array(parts[0].utf8); right = Array(parts[1].utf8)
            case .array(let pair):
                guard pair.count == 2 else { throw invalid(path, "expected a pair of tokens, found \(pair.count) elements") }
                left = Array(try string(pair[0], path + "[0]").utf8); right = Array(try string(pair[1], path + "[1]").utf8)
            default:
                throw invalid(path, "expected a string or a pair of strings, found \(item.typeName)")
            }
            func id(_ token: [UInt8]) throws(TokenizerError) -> Int32 {
                guard let id = vocab.get(token) else {
                    throw invalid(path, "token \"\(String(decoding: token, as: UTF8.self))\" is not in the vocabulary")
                }
                return id
            }
            guard right.count >= prefixLength else { throw invalid(path, "right token is shorter than continuing_subword_prefix") }
            let leftID = try id(left), rightID = try id(right)
            merges.set(leftID, rightID, rank: rank, result: try id(left + right[prefixLength...]))
            rank += 1
        }

        var unknownID: Int32? = nil
        if let unk = try optionalString(spec["unk_token"], "model.unk_token") {
            guard let id = vocab.get(Array(unk.utf8)) else {
                throw invalid("model.unk_token", "unknown token \"\(unk)\" is not in the vocabulary")
            }
            unknownID = id
        }
        return BPEModel(vocab: vocab, tokens: tokens, merges: merges, unknownID: unknownID,
                        continuingPrefix: prefix?.isEmpty == false ? prefix : nil,
                        endOfWordSuffix: suffix?.isEmpty == false ? suffix : nil,
                        fuseUnknown: try bool(spec["fuse_unk"], "model.fuse_unk", default: false),
                        byteFallback: try bool(spec["byte_fallback"], "model.byte_fallback", default: false),
                        ignoreMerges: try bool(spec["ignore_merges"], "model.ignore_merges", default: false))
    }

    /// `added_tokens`, with ids assigned as `tokenizers` assigns them on load: the id of the same
    /// string in the model vocabulary, else the next id after the model's (the file's `id` field
    /// is not trusted, exactly as in `tokenizers`).
    func addedTokens(_ value: JSONValue?, model: BPEModel) throws(TokenizerError) -> [AddedToken] {
        guard let value, !value.isNull else { return [] }
        var out: [AddedToken] = []
        var idForContent: [[UInt8]: Int] = [:]
        var nextID = Int32(model.vocab.count)
        for (i, item) in try array(value, "added_tokens").enumerated() {
            let path = "added_tokens[\(i)]"
            let spec = try object(item, path)
            let content = try string(spec["content"], path + ".content")
            let bytes = Array(content.utf8)
            if bytes.isEmpty { continue }
            let special = try bool(spec["special"], path + ".special", default: false)
            var token = AddedToken(content: content, id: 0, special: special,
                                   normalized: try bool(spec["normalized"], path + ".normalized", default: !special),
                                   lstrip: try bool(spec["lstrip"], path + ".lstrip", default: false),
                                   rstrip: try bool(spec["rstrip"], path + ".rstrip", default: false),
                                   singleWord: try bool(spec["single_word"], path + ".single_word", default: false))
            if let index = idForContent[bytes] {
                token.id = out[index].id
                out[index] = token
                continue
            }
            if let id = model.vocab.get(bytes) {
                token.id = id
            } else {
                token.id = nextID
                nextID += 1
            }
            idForContent[bytes] = out.count
            out.append(token)
        }
        return out
    }
}
