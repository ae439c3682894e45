import Foundation
import SingleCell
import Transformer

/// What a tokenizer is trained on and how.
public struct TokenizerTrainingSettings: Sendable {
    /// Prompt datasets (JSONL), sentence dataset folders, or text files.
    public var corpus: [String]
    /// The folder to write (`tokenizer.json`, `tokenizer_config.json`).
    public var output: String
    /// Fields of JSON lines to train on (default: model_input and response).
    public var fields: [String]?
    /// A gene list (vocab.tsv): every gene becomes one token (gene-aware tokenizer).
    public var genesFile: String?
    /// Keep only the genes of `genesFile` among the first `count` of at least one cell's
    /// sentence in the dataset folder `dataset` (`GenesWithinFirst`).
    public var genesWithinFirst: (count: Int, dataset: String)?
    /// A gene list to measure tokens per gene with (default: the gene list, else the first
    /// sentence dataset of the corpus).
    public var measureGenesFile: String?
    public var options = BPETrainingOptions()
    public var modelMaxLength = 1024
    public var overwrite = false
    /// Bytes per read of a corpus file (smaller in tests, to cut lines across reads).
    var readBlockSize = TextFileLines.defaultBlockSize

    public init(corpus: [String], output: String) {
        self.corpus = corpus
        self.output = output
    }
}

/// The trained tokenizer and how it tokenizes its corpus.
public struct TokenizerTrainingResult: Sendable {
    public var trained: TrainedTokenizer
    /// Genes that became tokens (gene-aware), if any.
    public var genes: Int?
    public var examples: Int
    public var summary: TokenCountSummary
    public var seconds: Double
}

/// Training a byte-level BPE tokenizer for cell sentences, optionally with one token per gene:
/// the workflow behind `c2s tokenizer train`. The folder appears only when complete.
///
/// The corpus is streamed twice, a batch of texts at a time, so memory does not grow with it:
/// the first pass counts the distinct pre-tokenized words (all BPE training needs), the second
/// measures the trained tokenizer on the corpus (`TokenCountSummary`).
public enum TokenizerTraining {
    /// Texts handed on together: enough for every core to count a share, few enough to keep
    /// memory flat (a batch of C2S prompts is a few MiB).
    static let batchSize = 4096

    public static func run(_ s: TokenizerTrainingSettings) throws -> TokenizerTrainingResult {
        let smallest = s.options.specialTokens.count + 256
        guard s.options.vocabSize >= smallest else {
            throw ModelError.input("--vocab-size \(s.options.vocabSize) is smaller than the \(s.options.specialTokens.count) special tokens + 256 byte symbols (at least \(smallest))")
        }
        try AtomicOutput.checkNotAnInput(s.output, inputs: s.corpus + [s.genesFile, s.measureGenesFile].compactMap { $0 })
        if FileManager.default.fileExists(atPath: s.output) && !s.overwrite {
            throw FileError(s.output, "already exists; pass --overwrite to replace it")
        }
        var geneList = try s.genesFile.map { try GeneVocabulary.read(path: $0) }
        // Tokens per gene are measured over every gene of the list, kept or not.
        let everyGene = geneList
        if let (n, dataset) = s.genesWithinFirst {
            guard let all = geneList else { throw ModelError.input("keeping the genes within the first \(n) of a sentence needs a gene list (--gene-aware DATASET)") }
            geneList = try GeneVocabulary(genes: GenesWithinFirst.select(all.genes, count: n, dataset: dataset), source: dataset)
        }
        let measured = try s.measureGenesFile.map { try GeneVocabulary.read(path: $0) } ?? everyGene
            ?? s.corpus.first(where: TokenizerCorpus.isDataset).map { try GeneVocabulary.read(path: $0) }

        let start = DispatchTime.now().uptimeNanoseconds
        var counts: BPEWordCounts
        do { counts = try BPEWordCounts(options: s.options, genes: geneList) } catch { throw ModelError.input("\(error)") }
        try forEachBatch(s) { counts.add($0) }
        let trained: TrainedTokenizer
        do { trained = try BPETrainer.train(counts) } catch { throw ModelError.input("\(error)") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // A tokenizer folder is recognised by its tokenizer.json.
        let out = try AtomicOutput(s.output, folder: true, overwrite: s.overwrite,
                                   isOwnOutput: { FileManager.default.fileExists(atPath: $0 + "/tokenizer.json") })
        try trained.write(to: URL(fileURLWithPath: out.temporary), modelMaxLength: s.modelMaxLength)
        let tokenizer = try Tokenizer.load(folder: URL(fileURLWithPath: out.temporary))
        // Measured before the commit: a corpus that fails to read again leaves no folder.
        var measurement = TokenCountMeasurement(tokenizer: tokenizer, genes: measured.map { Set($0.genes) })
        try forEachBatch(s) { measurement.add($0) }
        try out.commit()

        return TokenizerTrainingResult(trained: trained, genes: geneList?.genes.count, examples: counts.texts,
                                       summary: measurement.summary, seconds: seconds)
    }

    /// Streams the texts of every corpus input, in order, to `body` in batches of `batchSize`.
    private static func forEachBatch(_ s: TokenizerTrainingSettings, _ body: ([String]) throws -> Void) throws {
        var batch: [String] = []
        batch.reserveCapacity(batchSize)
        for path in s.corpus {
            try TokenizerCorpus.forEachText(path, fields: s.fields, blockSize: s.readBlockSize) { text in
                batch.append(text)
                if batch.count == batchSize {
                    try body(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        if !batch.isEmpty { try body(batch) }
    }
}
