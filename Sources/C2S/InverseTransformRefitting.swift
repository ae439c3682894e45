import CellSentences
import Mechanics
import SingleCell

/// `c2s fit`: fits a sentence dataset's inverse transform again with other settings. Reads
/// the dataset's input again (its SHA-256 must match the manifest), applies the same
/// preprocessing, fits, and stores the fit in the dataset's manifest.json.
public enum InverseTransformRefitting {
    /// Refits the dataset in `folder`; `input` is where its input file is now, if it has moved.
    /// `progress(done, total)` counts cells read. Errors: a changed input, an input that no
    /// longer gives the dataset's cells after filtering.
    public static func run(folder: String, input: String?, settings: InverseTransformSettings, threads: Int = Parallel.defaultThreads,
                           progress: ((Int, Int) -> Void)? = nil) throws -> InverseTransformFit {
        var manifest = try DatasetManifest.read(folder: folder)
        if let subset = manifest.geneSubset {
            throw FileError(folder, "keeps \(subset.genesKept) genes of \(subset.from)'s sentences; fit \(subset.from) instead")
        }
        let source = try DatasetInput.open(manifest, folder: folder, override: input)
        let (plan, transform) = try DatasetInput.replan(source, manifest: manifest, threads: threads, blockSize: 4096)
        guard plan.counts.cellsKept == manifest.counts.cellsKept else {
            throw DataError("the input now gives \(plan.counts.cellsKept) cells after filtering, the dataset has \(manifest.counts.cellsKept); convert it again")
        }
        let result = try InverseTransform.refit(source, plan: plan, settings: settings, transform: transform,
                                                threads: threads, blockSize: 4096, progress: progress)
        manifest.inverseTransform = result
        try manifest.write(folder: folder)
        return result
    }
}
