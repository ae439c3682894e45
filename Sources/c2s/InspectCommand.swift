import ArgumentParser
import CellSentences
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a cell sentence dataset folder made by 'c2s convert'.",
        discussion: """
            Prints the input and its checksum, the settings, how many cells and genes each \
            step kept, sentence lengths, the first sentences (truncated) and the most widely \
            expressed genes.
            """)

    @Argument(help: "A sentence dataset folder (with manifest.json, cells.jsonl, vocab.tsv).")
    var dataset: String

    @Option(help: "How many sentences to show.")
    var sentences = 3

    @Option(help: "How many genes of each sentence to show.")
    var words = 12

    func run() throws {
        try CLIErrors.run {
            let summary = try DatasetSummary(folder: dataset, sentences: sentences)
            let m = summary.manifest
            let c = m.counts
            print("dataset   \(dataset)")
            print("input     \(m.input.path) (\(m.input.format), \(m.input.matrix), sha256 \(m.input.sha256.prefix(12))…)")
            print("cells     \(c.cellsKept) kept of \(c.cellsIn)  (dropped: min-genes \(c.cellsDroppedMinGenes), min-counts \(c.cellsDroppedMinCounts), max-counts \(c.cellsDroppedMaxCounts), max-genes \(c.cellsDroppedMaxGenes), mito \(c.cellsDroppedMito))")
            print("genes     \(c.genesKept) kept of \(c.genesIn)  (dropped by min-cells: \(c.genesDroppedMinCells))")
            let p = m.preprocessing
            print("settings  min-genes \(p.minGenes), min-cells \(p.minCells), target-sum \(p.targetSum) (used \(m.targetSumUsed.map { String(format: "%g", $0) } ?? "none")), log-base \(p.log), seed \(m.sentences.seed)")
            print(String(format: "sentences mean %.1f genes (min %d, max %d)", m.sentences.meanLength, m.sentences.minLength, m.sentences.maxLength))
            if !m.obsColumns.isEmpty { print("columns   \(m.obsColumns.joined(separator: ", "))") }
            for w in m.warnings { print("warning   \(w)") }
            for sentence in summary.sentences {
                let extra = sentence.values.map { "\($0.column)=\(Self.text($0.value))" }.joined(separator: " ")
                print("\n\(sentence.name.map(Self.text) ?? "?") \(extra)")
                let genes = sentence.genes
                print("  " + genes.prefix(words).joined(separator: " ") + (genes.count > words ? " … (\(genes.count) genes)" : ""))
            }
            let top = summary.mostWidelyExpressed.map { "\($0.gene) (\($0.cells))" }
            print("\nmost widely expressed: " + top.joined(separator: ", "))
        }
    }

    /// A value as this command has always shown it (Foundation's descriptions: whole numbers
    /// without a fraction, booleans as 1 and 0, null as <null>), so its output is unchanged.
    static func text(_ value: JSONScalar) -> String {
        switch value {
        case .bool(let b): b ? "1" : "0"
        case .null: "<null>"
        default: value.fieldText ?? ""
        }
    }
}
