import Foundation
import Mechanics

/// The result of `BPETrainer`: a byte-level BPE model (vocabulary and ranked merges), its
/// special tokens and, for the gene-aware variant, the gene tokens. `tokenizerJSON()` spells it
/// as a `tokenizer.json` that `tokenizers` and `transformers` load; `tokenizer()` loads it here.
public struct TrainedTokenizer: Sendable {
    /// One learned merge, in rank order: `left` + `right` gives `result` (ids of the model vocabulary).
    public struct Merge: Sendable, Equatable {
        public let left: Int32
        public let right: Int32
        public let result: Int32
    }

    /// The model vocabulary by id, spelled as in `tokenizer.json` (GPT-2 byte-level characters;
    /// special tokens as they are), UTF-8.
    public let modelTokens: [[UInt8]]
    public let specialTokens: [String]
    public let merges: [Merge]
    public let genes: GeneVocabulary?
    /// Distinct pre-tokenized words and their total occurrences in the training corpus.
    public let distinctWords: Int
    public let wordOccurrences: Int

    /// The `added_tokens` with the ids `tokenizers` gives them when it loads the file: special
    /// tokens keep their model ids; each gene token takes its model id when its content is a
    /// model token (a bare gene name BPE also learned), else the next id after the model vocabulary.
    public var addedTokens: [AddedToken] {
        var out: [AddedToken] = []
        for (i, s) in specialTokens.enumerated() {
            out.append(AddedToken(content: s, id: Int32(i), special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false))
        }
        guard let genes else { return out }
        var modelID: [[UInt8]: Int32] = [:]
        for (i, t) in modelTokens.enumerated() { modelID[t] = Int32(i) }
        var next = Int32(modelTokens.count)
        for g in genes.addedTokenContents {
            let id: Int32
            if let existing = modelID[Array(g.content.utf8)] { id = existing } else { id = next; next += 1 }
            out.append(AddedToken(content: g.content, id: id, special: false, normalized: false, lstrip: false, rstrip: false, singleWord: g.singleWord))
        }
        return out
    }

    /// Number of distinct token ids: the model vocabulary plus gene tokens with ids of their own.
    public var vocabularySize: Int {
        guard genes != nil else { return modelTokens.count }
        return modelTokens.count + addedTokens.filter { Int($0.id) >= modelTokens.count }.count
    }

    /// The `tokenizer.json` text: BPE model, ByteLevel pre-tokenizer (GPT-2 pattern, no prefix
    /// space), ByteLevel decoder and post-processor (no tokens added), no normalizer. One vocabulary
    /// entry and one merge per line, merges as pairs (the `tokenizers` >= 0.20 form).
    public func tokenizerJSON() -> Data {
        var s = "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": ["
        for (i, t) in addedTokens.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "    {\"id\": \(t.id), \"content\": \(JSONText.serdeString(t.content)), \"single_word\": \(t.singleWord), "
            s += "\"lstrip\": \(t.lstrip), \"rstrip\": \(t.rstrip), \"normalized\": \(t.normalized), \"special\": \(t.special)}"
        }
        s += "\n  ],\n  \"normalizer\": null,\n"
        s += "  \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": true, \"use_regex\": true},\n"
        s += "  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": false, \"use_regex\": true},\n"
        s += "  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"trim_offsets\": true, \"use_regex\": true},\n"
        s += "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
        s += "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n    \"fuse_unk\": false,\n"
        s += "    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n    \"vocab\": {"
        let spelled = modelTokens.map { String(decoding: $0, as: UTF8.self) }
        for (i, t) in spelled.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "      \(JSONText.serdeString(t)): \(i)"
        }
        s += "\n    },\n    \"merges\": ["
        for (i, m) in merges.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "      [\(JSONText.serdeString(spelled[Int(m.left)])), \(JSONText.serdeString(spelled[Int(m.right)]))]"
        }
        s += "\n    ]\n  }\n}\n"
        return Data(s.utf8)
    }

    /// `tokenizer_config.json` for transformers' `AutoTokenizer`: the first special token is the
    /// BOS and EOS token, the second (when there is one) the padding token.
    public func tokenizerConfigJSON(modelMaxLength: Int?) -> Data {
        var fields: [String] = ["\"tokenizer_class\": \"PreTrainedTokenizerFast\""]
        if let first = specialTokens.first {
            fields.append("\"bos_token\": \(JSONText.serdeString(first))")
            fields.append("\"eos_token\": \(JSONText.serdeString(first))")
        }
        if specialTokens.count > 1 { fields.append("\"pad_token\": \(JSONText.serdeString(specialTokens[1]))") }
        if let modelMaxLength { fields.append("\"model_max_length\": \(modelMaxLength)") }
        fields.append("\"add_prefix_space\": false")
        fields.append("\"clean_up_tokenization_spaces\": false")
        return Data(("{\n  " + fields.joined(separator: ",\n  ") + "\n}\n").utf8)
    }

    /// Loads the trained tokenizer with this package's `Tokenizer` (no file involved).
    public func tokenizer(modelMaxLength: Int? = nil) throws -> Tokenizer {
        let config = try TokenizerConfig.parse(tokenizerConfigJSON(modelMaxLength: modelMaxLength), file: "tokenizer_config.json")
        return try Tokenizer(json: tokenizerJSON(), file: "tokenizer.json", config: config)
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` into `folder` (which must exist), each
    /// under a temporary name in that folder and renamed into place when complete.
    public func write(to folder: URL, modelMaxLength: Int? = nil) throws {
        for (name, data) in [("tokenizer.json", tokenizerJSON()), ("tokenizer_config.json", tokenizerConfigJSON(modelMaxLength: modelMaxLength))] {
            try AtomicFile.write(data, to: folder.appendingPathComponent(name).path, failure: CheckpointError.atomicFailure)
        }
    }
}
