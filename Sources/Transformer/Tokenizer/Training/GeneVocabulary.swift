import Foundation

/// The gene list of the gene-aware tokenizer, and how genes become tokens.
///
/// Design. Every gene gets two added tokens (`added_tokens` of `tokenizer.json`, matched in the
/// raw text before pre-tokenization, `normalized: false`, `special: false`):
///
/// - `" GENE"` — the gene with the space before it (`single_word: false`). In a cell sentence
///   and in every prompt template the genes follow a space ("...: CD3D MALAT1 B2M"), so each
///   gene occurrence is exactly one token, space included, the way GPT-2 puts the space into
///   the next word ("ĠCD"). `single_word` cannot be used here: `tokenizers` checks `\w` on the
///   character before the match, which is the previous gene's last letter.
/// - `"GENE"` — the bare name (`single_word: true`), for a gene at the start of a text or after
///   a newline or bracket. `single_word` makes "CD3" not match inside "CD3D" or "xCD3".
///
/// Added tokens are found by a leftmost-longest search, so a gene is never cut by a shorter gene
/// that is its prefix (" CD3D" wins over " CD3"). What the space-prefixed tokens cannot check is
/// the right edge: in " CD3X", where CD3X is not a gene but CD3 is, " CD3" is taken and "X" goes
/// to BPE (the text still decodes to itself). In C2S text, words after a space are genes or
/// ordinary words, and gene symbols are upper case, so this is rare; `TokenCountSummary`
/// measures tokens per gene on the real corpus.
///
/// The rest of the text (templates, labels, punctuation) is byte-level BPE trained on the
/// corpus with the gene tokens taken out first (as `tokenizers` does with added tokens during
/// training), so no merges are spent on gene names. Decoding needs nothing special: the
/// ByteLevel decoder keeps a token with a raw space (" CD3D") as it is, and maps the bare name's
/// printable ASCII characters to themselves. Ids: the model vocabulary comes first, then for each
/// gene in list order " GENE" and "GENE"; a bare name that is already a BPE token (say "CD")
/// keeps that token's id, as `tokenizers` assigns it when it loads the file.
public struct GeneVocabulary: Sendable, Equatable {
    /// Gene names in file order, validated: non-empty, printable ASCII without spaces, unique.
    public let genes: [String]

    public init(genes: [String], source: String = "gene list") throws(TokenizerError) {
        var seen: [String: Int] = [:]
        for (i, gene) in genes.enumerated() {
            try Self.check(gene, source: source, line: i + 1)
            if let first = seen[gene] {
                throw TokenizerError(.invalid, file: source, "gene \"\(gene)\" appears twice (entries \(first) and \(i + 1)); a gene list must not repeat names")
            }
            seen[gene] = i + 1
        }
        guard !genes.isEmpty else { throw TokenizerError(.invalid, file: source, "the gene list is empty") }
        self.genes = genes
    }

    private static func check(_ gene: String, source: String, line: Int) throws(TokenizerError) {
        guard !gene.isEmpty else { throw TokenizerError(.invalid, file: source, "line \(line): empty gene name") }
        for u in gene.unicodeScalars {
            if u == " " || u == "\t" || u.properties.isWhitespace {
                throw TokenizerError(.invalid, file: source, "line \(line): gene name \"\(gene)\" contains whitespace; genes are separated by spaces in cell sentences")
            }
            guard (0x21...0x7E).contains(u.value) else {
                throw TokenizerError(.invalid, file: source, "line \(line): gene name \"\(gene)\" has a character outside printable ASCII (U+\(String(u.value, radix: 16, uppercase: true))), which a byte-level tokenizer cannot keep as a whole token")
            }
        }
    }

    /// Reads a gene list: a sentence dataset folder (its `vocab.tsv`), a `vocab.tsv` (header
    /// `gene<TAB>n_cells`, one gene per line, the first column is used), or a plain list of one
    /// gene per line. Blank lines are skipped.
    public static func read(path: String) throws(TokenizerError) -> GeneVocabulary {
        var file = path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            file = URL(fileURLWithPath: path).appendingPathComponent("vocab.tsv").path
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TokenizerError(.unreadable, file: file, isFolder.boolValue ? "cannot read the dataset's gene vocabulary" : "cannot read the gene list")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TokenizerError(.invalid, file: file, "not UTF-8 text") }
        // "\r\n" is one Character in Swift: split on both spellings of a line end.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        let tsv = lines.first == "gene\tn_cells"
        if tsv { lines.removeFirst() }
        var genes: [String] = []
        var lineNumbers: [Int] = []
        for (i, line) in lines.enumerated() where !line.isEmpty {
            let number = i + (tsv ? 2 : 1)
            var name = line
            if tsv {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                guard fields.count == 2, Int(fields[1]) != nil else {
                    throw TokenizerError(.invalid, file: file, "line \(number): expected 'gene<TAB>n_cells' as in the header")
                }
                name = fields[0]
            }
            try check(String(name), source: file, line: number)
            genes.append(String(name))
            lineNumbers.append(number)
        }
        var seen: [String: Int] = [:]
        for (gene, number) in zip(genes, lineNumbers) {
            if let first = seen[gene] {
                throw TokenizerError(.invalid, file: file, "gene \"\(gene)\" appears twice (lines \(first) and \(number)); a gene list must not repeat names")
            }
            seen[gene] = number
        }
        return try GeneVocabulary(genes: genes, source: file)
    }

    /// The added tokens for the genes, in id order: `" GENE"` then `"GENE"` for each gene.
    var addedTokenContents: [(content: String, singleWord: Bool)] {
        var out: [(String, Bool)] = []
        out.reserveCapacity(genes.count * 2)
        for gene in genes {
            out.append((" " + gene, false))
            out.append((gene, true))
        }
        return out
    }
}
