import Foundation
import SingleCell
import Transformer

/// What `c2s tokenizer extend` reads and writes.
public struct TokenizerExtendingSettings: Sendable {
    /// The tokenizer folder to extend (`tokenizer.json`, optionally `tokenizer_config.json` and
    /// `special_tokens_map.json`); it is only read.
    public var base: String
    /// A sentence dataset folder: the genes of its `vocab.tsv` get tokens.
    public var dataset: String
    /// Only the genes among the first N of at least one cell's sentence (`GenesWithinFirst`).
    public var genesWithinFirst: Int?
    public var output: String
    public var overwrite = false

    public init(base: String, dataset: String, output: String) {
        self.base = base
        self.dataset = dataset
        self.output = output
    }
}

/// A gene-aware tokenizer extended with the genes of longer sentences, every token it had kept
/// at its id (`GeneTokenExtension`): the workflow behind `c2s tokenizer extend`. A model trained
/// with the base tokenizer is then fine-tuned with the extension by `c2s train --model MODEL
/// --tokenizer EXTENDED --grow-vocabulary`. The folder appears only when complete.
public enum TokenizerExtending {
    public struct Summary: Sendable {
        public var genesConsidered: Int
        public var genesAdded: Int
        public var newIDs: Int
        public var vocabularyBefore: Int
        public var vocabularyAfter: Int
    }

    public static func run(_ s: TokenizerExtendingSettings) throws -> Summary {
        let baseURL = URL(fileURLWithPath: s.base)
        let tokenizerFile = baseURL.appendingPathComponent("tokenizer.json").path
        guard FileManager.default.fileExists(atPath: tokenizerFile) else {
            throw FileError(s.base, "has no tokenizer.json (give the folder of a tokenizer, e.g. from 'c2s tokenizer train')")
        }
        try AtomicOutput.checkNotAnInput(s.output, inputs: [s.base, s.dataset])
        let vocabulary = try GeneVocabulary.read(path: URL(fileURLWithPath: s.dataset).appendingPathComponent("vocab.tsv").path)
        var genes = vocabulary.genes
        if let n = s.genesWithinFirst { genes = try GenesWithinFirst.select(genes, count: n, dataset: s.dataset) }
        guard let data = FileManager.default.contents(atPath: tokenizerFile) else { throw FileError(tokenizerFile, "cannot be read") }
        let before = try Tokenizer.load(folder: baseURL).vocabularySize
        let extended = try GeneTokenExtension.extend(tokenizerJSON: data, file: tokenizerFile, genes: genes)

        let out = try AtomicOutput(s.output, folder: true, overwrite: s.overwrite,
                                   isOwnOutput: { FileManager.default.fileExists(atPath: $0 + "/tokenizer.json") })
        try extended.json.write(to: URL(fileURLWithPath: out.path("tokenizer.json")))
        for name in ["tokenizer_config.json", "special_tokens_map.json"] {
            let source = baseURL.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: source) {
                try FileManager.default.copyItem(atPath: source, toPath: out.path(name))
            }
        }
        // The folder must load as it will be used before it replaces anything.
        _ = try Tokenizer.load(folder: URL(fileURLWithPath: out.temporary))
        try out.commit()
        return Summary(genesConsidered: genes.count, genesAdded: extended.genes, newIDs: extended.newIDs,
                       vocabularyBefore: before, vocabularyAfter: extended.vocabularySize)
    }
}
