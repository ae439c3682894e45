import Foundation
import Mechanics

/// Gene tokens added to an existing `tokenizer.json` so that a model trained with it can be
/// fine-tuned on sentences holding more genes (`c2s tokenizer extend`, then `c2s train --model
/// ... --grow-vocabulary`).
///
/// Why: a gene-aware tokenizer gives tokens only to the genes its model's sentences can hold
/// (`--genes-within-first`), because every token costs an output-head row in each training
/// step. A later phase that reads longer sentences (the annotation phase of `make demo` with
/// `ANNOTATION_TOP_GENES`) needs tokens for the genes beyond them, and a tokenizer trained anew
/// would renumber every token the model knows. Here every existing token keeps its id and
/// everything else in the file stays as it was (members in file order); each new gene gets
/// `" GENE"` and `"GENE"` as `BPETrainer`'s gene-aware tokenizers have them, with the next ids
/// after the highest in use (or a bare name's existing model id, as `TrainedTokenizer` does).
public enum GeneTokenExtension {
    /// The extended file and what it added.
    public struct Result: Sendable {
        public var json: Data
        /// Genes that got tokens (none of their spellings was an added token before).
        public var genes: Int
        /// Token ids the vocabulary grew by.
        public var newIDs: Int
        public var vocabularySize: Int
    }

    /// `data` (a `tokenizer.json`, named `file` in errors) with tokens for those of `genes` that
    /// have none. Genes already tokens are left as they are, so extending twice with the same
    /// genes changes nothing.
    public static func extend(tokenizerJSON data: Data, file: String, genes: [String]) throws(TokenizerError) -> Result {
        let base = try Tokenizer(json: data, file: file)
        let list = try GeneVocabulary(genes: genes, source: "gene list")
        let root: JSONValue
        do { root = try JSONParser.parse(data) } catch {
            throw TokenizerError(.malformedJSON, file: file, "not valid JSON at byte \(error.offset): \(error.reason)")
        }
        guard var members = root.objectValue, let added = root["added_tokens"]?.arrayValue else {
            throw TokenizerError(.invalid, file: file, "has no added_tokens array to add gene tokens to")
        }
        let existing = Set(base.addedTokens.map(\.content))
        var next = Int32(base.vocabularySize)
        for t in base.addedTokens { next = max(next, t.id + 1) }
        var entries = added
        var addedGenes = 0, newIDs = 0
        for gene in list.genes where !existing.contains(" " + gene) && !existing.contains(gene) {
            addedGenes += 1
            for (content, singleWord) in [(" " + gene, false), (gene, true)] {
                let id: Int32
                // A bare gene name BPE learned keeps its model id (as `TrainedTokenizer` does).
                if let known = base.id(forToken: content) { id = known } else { id = next; next += 1; newIDs += 1 }
                entries.append(.object([("id", .number(Double(id))), ("content", .string(content)), ("single_word", .bool(singleWord)),
                                        ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
                                        ("special", .bool(false))]))
            }
        }
        for i in members.indices where members[i].key == "added_tokens" { members[i].value = .array(entries) }
        let json = Data(JSONWriting.text(.object(members)).utf8)
        let extended = try Tokenizer(json: json, file: file)
        return Result(json: json, genes: addedGenes, newIDs: newIDs, vocabularySize: extended.vocabularySize)
    }

    /// Whether `tokenizer` keeps every token of `original` at its id (an extension of it).
    /// Returns the first id that differs, or nil when it is an extension.
    public static func firstChangedID(of original: Tokenizer, in tokenizer: Tokenizer) -> Int32? {
        guard tokenizer.vocabularySize >= original.vocabularySize else { return Int32(tokenizer.vocabularySize) }
        for id in 0..<Int32(original.vocabularySize) where original.token(forID: id) != tokenizer.token(forID: id) { return id }
        for t in original.addedTokens where tokenizer.id(forToken: t.content) != t.id { return t.id }
        return nil
    }
}

/// JSON text of a `JSONValue`, members in their order, two-space indentation for objects and
/// arrays of objects (one vocabulary entry per line, as `TrainedTokenizer` writes them).
enum JSONWriting {
    static func text(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        out += "\n"
        return out
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            if d.rounded() == d && abs(d) < 9.0e15 { out += String(Int(d)) } else { out += "\(d)" }
        case .string(let s): out += JSONText.serdeString(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            // Short scalar arrays (a merge pair) stay on one line.
            if items.allSatisfy({ if case .object = $0 { return false }; if case .array = $0 { return false }; return true }) {
                out += "["
                for (i, item) in items.enumerated() { if i > 0 { out += ", " }; write(item, indent: indent, into: &out) }
                out += "]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                out += (i == 0 ? "\n" : ",\n") + String(repeating: " ", count: indent + 2)
                write(item, indent: indent + 2, into: &out)
            }
            out += "\n" + String(repeating: " ", count: indent) + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            // An added token's fields on one line.
            let flat = members.allSatisfy { if case .object = $0.value { return false }; if case .array = $0.value { return false }; return true }
            if flat && members.count <= 8 {
                out += "{"
                for (i, m) in members.enumerated() {
                    if i > 0 { out += ", " }
                    out += JSONText.serdeString(m.key) + ": "
                    write(m.value, indent: indent, into: &out)
                }
                out += "}"
                return
            }
            out += "{"
            for (i, m) in members.enumerated() {
                out += (i == 0 ? "\n" : ",\n") + String(repeating: " ", count: indent + 2) + JSONText.serdeString(m.key) + ": "
                write(m.value, indent: indent + 2, into: &out)
            }
            out += "\n" + String(repeating: " ", count: indent) + "}"
        }
    }
}
