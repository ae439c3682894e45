import Foundation
import SingleCell
import Transformer

/// The genes a model reading or writing N-gene cell sentences can meet: those among the first N
/// genes of at least one cell of a sentence dataset.
///
/// Why: a gene-aware tokenizer built from a dataset's whole `vocab.tsv` gives a token to every
/// gene expressed anywhere (kang-ifnb-sub2k: 11,576 genes, 23,152 tokens), but 100-gene
/// sentences use 4,231 of them. The output head's cost grows with the vocabulary (each target
/// token is scored against every row), so the rows no sentence can ask for nearly double a
/// small model's training step (docs/SCIENCE.md, section 4h). The labels are not read: the
/// selection depends on the genes of the cells only.
public enum GenesWithinFirst {
    /// The genes of `vocabulary` (in its order) that appear among the first `count` words of at
    /// least one `cell_sentence` of the dataset folder `dataset`. Errors name the file.
    public static func select(_ vocabulary: [String], count: Int, dataset: String) throws -> [String] {
        guard count > 0 else { throw ModelError.input("the number of leading genes must be at least 1 (got \(count))") }
        // Strings, not substrings: a substring would keep its whole sentence alive.
        var seen = Set<String>()
        try TokenizerCorpus.forEachText(dataset, fields: ["cell_sentence"]) { sentence in
            var taken = 0
            for word in sentence.split(separator: " ", omittingEmptySubsequences: true) {
                seen.insert(String(word))
                taken += 1
                if taken == count { break }
            }
        }
        let kept = vocabulary.filter { seen.contains($0) }
        guard !kept.isEmpty else {
            throw FileError(dataset + "/cells.jsonl", "no gene of the dataset's vocab.tsv appears among the first \(count) genes of any cell sentence")
        }
        return kept
    }
}
