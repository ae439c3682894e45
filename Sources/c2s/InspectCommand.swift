import ArgumentParser
import CellSentences
import Foundation
import SingleCell

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
            let m = try DatasetManifest.read(folder: dataset)
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

            let reader = try GzipLineReader(path: dataset + "/cells.jsonl")
            var shown = 0
            while shown < sentences, let line = try reader.nextLine() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw FileError(dataset + "/cells.jsonl", "line \(shown + 1) is not a JSON object")
                }
                let genes = (object["cell_sentence"] as? String ?? "").split(separator: " ")
                let extra = m.obsColumns.compactMap { k in object[k].map { "\(k)=\($0)" } }.joined(separator: " ")
                print("\n\(object["cell_name"] ?? "?") \(extra)")
                print("  " + genes.prefix(words).joined(separator: " ") + (genes.count > words ? " … (\(genes.count) genes)" : ""))
                shown += 1
            }
            let vocab = try GzipLineReader.readLines(dataset + "/vocab.tsv").dropFirst().compactMap { line -> (String, Int)? in
                let parts = line.split(separator: "\t")
                guard parts.count == 2, let n = Int(parts[1]) else { return nil }
                return (String(parts[0]), n)
            }
            let top = vocab.sorted { $0.1 > $1.1 }.prefix(10).map { "\($0.0) (\($0.1))" }
            print("\nmost widely expressed: " + top.joined(separator: ", "))
        }
    }
}
