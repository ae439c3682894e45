import Foundation
import SingleCell

/// A sentence dataset folder made by `convert`, opened for reading.
public struct SentenceDataset {
    public let folder: String
    public let manifest: DatasetManifest
    /// Vocabulary genes in order, and the number of cells expressing each.
    public let genes: [String]
    public let geneCells: [Int]

    public init(folder: String) throws {
        self.folder = folder
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw FileError(folder, "not a folder; expected a sentence dataset made by 'c2s convert'")
        }
        manifest = try DatasetManifest.read(folder: folder)
        let vocabPath = folder + "/" + GeneVocabularyFile.fileName
        guard FileManager.default.fileExists(atPath: vocabPath) else { throw FileError(vocabPath, "missing; the dataset is incomplete") }
        let vocabulary = try GeneVocabularyFile.read(vocabPath)
        // An empty vocabulary once reconstructed every cell as nothing and exited 0.
        guard !vocabulary.genes.isEmpty else { throw FileError(vocabPath, "lists no genes (a header line and nothing else); the dataset is incomplete") }
        genes = vocabulary.genes
        geneCells = vocabulary.cells
    }

    public var cellsPath: String { folder + "/cells.jsonl" }

    /// The fitted model, or a clear error when the dataset has none.
    public func model() throws -> LinearRankModel {
        if let subset = manifest.geneSubset {
            throw FileError(folder, "keeps \(subset.genesKept) genes of \(subset.from)'s sentences, so positions in its sentences are not expression ranks; reconstruct from \(subset.from)")
        }
        guard let fit = manifest.inverseTransform else {
            throw FileError(folder + "/manifest.json", "has no inverse transform; run 'c2s fit \(folder)' first")
        }
        guard fit.model.isUsable else {
            throw FileError(folder + "/manifest.json", "the inverse transform could not be fitted (too few expressed genes); refit with 'c2s fit \(folder)' on more cells")
        }
        return fit.model
    }
}
