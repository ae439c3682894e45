import CellSentences
import Foundation
import SingleCell

/// Writes generated sentences and their reconstructed expression into one `.h5ad`: `X` is the
/// expression the training data's inverse transform gives each sentence (genes = the training
/// vocabulary, in its order), `obs` holds every other field of the chunk lines (the sentence
/// itself as `cell_sentence`) and the post-processing counts `n_words`, `n_valid_words`,
/// `n_unique_genes`.
public enum GeneratedCellsWriter {
    /// The field of chunk lines that holds the sentence to reconstruct (not copied into obs;
    /// lines carry the sentence a second time as `cell_sentence`, which is).
    public static let sentenceField = "reconstruct"

    /// Concatenates the chunks into one JSONL file in the run folder and reconstructs it into
    /// `output`.
    public static func write(_ chunks: ChunkedRun, dataset: SentenceDataset, output: String) throws -> ReconstructionSummary {
        let merged = chunks.store.folder + "/generated.jsonl"
        let writer = try BufferedFileWriter(merged)
        try chunks.forEachChunk { lines in
            for line in lines { try writer.write(line + "\n") }
        }
        try writer.close()
        var options = ReconstructionOptions()
        options.sentenceField = sentenceField
        options.overwrite = true
        return try SentenceReconstruction.run(input: merged, vocabulary: dataset.genes, vocabularyCounts: dataset.geneCells,
                                              model: try dataset.model(), output: output, options: options)
    }

    /// The chunk line of one generated sentence with its other fields.
    public static func line(name: String, fields: [(String, String)], sentence: GeneratedSentence) -> String {
        var line = ResultLine()
        line.add("cell_name", name)
        for (k, v) in fields where k != "cell_name" && k != "cell_sentence" && k != sentenceField { line.add(k, v) }
        line.add("cell_sentence", sentence.sentence)
        line.add("n_tokens", sentence.tokens)
        line.add("finish_reason", sentence.finishReason)
        line.add(sentenceField, sentence.sentence)
        return line.text
    }
}
