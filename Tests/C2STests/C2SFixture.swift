import C2S
import CellSentences
import Foundation
import SingleCell
import TestSupport
import Transformer

/// A small C2S setting built once for the tests: a simulated labelled count matrix, its
/// sentence dataset, and two tiny models with C2S metadata (`c2s.json`, the dataset's
/// `manifest.json` and `vocab.tsv`):
///
/// - `bpeModel`: the pythia_text fixture (byte-level BPE trained on English, so gene names
///   take several tokens each), with its context raised to 2048 (rotary positions have no
///   learned table, so the weights stay valid);
/// - `geneModel`: a gene-aware tokenizer trained here on the dataset (one token per gene) and
///   the same architecture with random embedding rows for its vocabulary.
///
/// The models are untrained: tests check the mechanics (constraints, scoring, batching,
/// chunking), never answers' quality.
final class C2SFixture: @unchecked Sendable {
    let folder: TemporaryFolder
    let counts: String
    let sentences: String
    let bpeModel: String
    let geneModel: String
    let labels: [String]
    /// Genes per cell in prompts (small: prompts stay short for the tiny models).
    static let topGenes = 12

    static let shared: Result<C2SFixture, Error> = Result {
        let fixture = try C2SFixture()
        // The shared fixture lives until the process ends; remove its files then.
        fixturePath = fixture.folder.path
        atexit { if let path = C2SFixture.fixturePath { try? FileManager.default.removeItem(atPath: path) } }
        return fixture
    }
    nonisolated(unsafe) static var fixturePath: String?

    static func get() throws -> C2SFixture { try shared.get() }

    private init() throws {
        folder = try TemporaryFolder()
        counts = folder.file("sim.h5ad")
        var p = CountSimulator.Parameters(cells: 48, genes: 160, cellTypes: 3, seed: 5)
        p.markersPerType = 10
        try CountSimulator(p).write(to: counts)
        sentences = folder.file("sentences")
        var options = ConversionOptions()
        options.preprocessing.minGenes = 0
        options.obsColumns = ["cell_type", "batch"]
        options.checksum = false
        _ = try CellSentenceConverter.convert(try ExpressionReader.open(counts), to: sentences, options: options)
        let dataset = try SentenceDataset(folder: sentences)
        labels = Array(Set(try String(contentsOfFile: sentences + "/cells.jsonl", encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["cell_type"] as! String
        })).sorted()

        let source = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path
        bpeModel = folder.file("bpe-model")
        try FileManager.default.createDirectory(atPath: bpeModel, withIntermediateDirectories: false)
        for f in ["model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + f, toPath: bpeModel + "/" + f)
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as! [String: Any]
        config["max_position_embeddings"] = 2048
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: bpeModel + "/config.json"))
        try Self.addMetadata(bpeModel, sentences: sentences, labels: labels)

        // Gene-aware tokenizer on the dataset's sentences and a few prompt words.
        geneModel = folder.file("gene-model")
        var training = BPETrainingOptions()
        training.vocabSize = 300
        let corpus = try String(contentsOfFile: sentences + "/cells.jsonl", encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["cell_sentence"] as! String
        } + ["The following are the most highly expressed genes of a single cell, ordered by decreasing expression. What is the cell type of this cell?"]
        let trained = try BPETrainer.train(corpus, options: training, genes: try GeneVocabulary(genes: dataset.genes))
        try FileManager.default.createDirectory(atPath: geneModel, withIntermediateDirectories: false)
        try trained.write(to: URL(fileURLWithPath: geneModel), modelMaxLength: 2048)
        config["vocab_size"] = trained.vocabularySize
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: geneModel + "/config.json"))
        try FileManager.default.copyItem(atPath: source + "/generation_config.json", toPath: geneModel + "/generation_config.json")
        try Self.resizeVocabulary(from: source + "/model.safetensors", to: geneModel + "/model.safetensors", vocabulary: trained.vocabularySize)
        try Self.addMetadata(geneModel, sentences: sentences, labels: labels)
    }

    /// `c2s.json` plus copies of the dataset's manifest and vocabulary, as `c2s train` leaves them.
    static func addMetadata(_ model: String, sentences: String, labels: [String]) throws {
        let meta: [String: Any] = ["tasks": ["cell_type_prediction", "cell_type_generation", "perturbation_prediction"],
                                   "labels": ["cell_type_prediction": labels], "top_k": topGenes, "label_column": "cell_type"]
        try JSONSerialization.data(withJSONObject: meta).write(to: URL(fileURLWithPath: model + "/c2s.json"))
        for f in ["manifest.json", "vocab.tsv"] { try FileManager.default.copyItem(atPath: sentences + "/" + f, toPath: model + "/" + f) }
    }

    /// Copies the fixture's weights, giving the embedding and output matrices `vocabulary` rows
    /// (seeded random values of the fixture's scale).
    static func resizeVocabulary(from source: String, to destination: String, vocabulary: Int) throws {
        let file = try SafetensorsFile(path: source)
        var state: UInt64 = 12345
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) - 0.5
        }
        // The writer keeps pointers until it writes: hold every tensor in one buffer meanwhile.
        var shapes: [(String, [Int])] = []
        var values: [Float] = []
        for info in file.tensors {
            if info.name.hasSuffix("embed_in.weight") || info.name.hasSuffix("embed_out.weight") {
                shapes.append((info.name, [vocabulary, info.shape[1]]))
                values += (0..<(vocabulary * info.shape[1])).map { _ in uniform() * 0.6 }
            } else {
                let n = info.shape.reduce(1, *)
                var part = [Float](repeating: 0, count: n)
                try part.withUnsafeMutableBufferPointer { try file.copyFloats(info.name, into: $0.baseAddress!, count: n) }
                shapes.append((info.name, info.shape))
                values += part
            }
        }
        try values.withUnsafeBufferPointer { all in
            var writer = SafetensorsWriter()
            var offset = 0
            for (name, shape) in shapes {
                try writer.add(name, shape: shape, from: all.baseAddress! + offset)
                offset += shape.reduce(1, *)
            }
            try writer.write(to: destination)
        }
    }
}
