import CellSentences
import Foundation
import Mechanics
import Reports
import SingleCell

/// `c2s report transform`: how well a sentence dataset's inverse transform reconstructs
/// expression. Reads the dataset's input again (checking its SHA-256), takes the same sampled
/// cells as the stored fit and writes OUTPUT/report.html (``InverseTransformReport``).
public enum InverseTransformReportWriting {
    /// Writes the report of the dataset in `folder` into the folder `output`; `input` is where
    /// the dataset's input file is now, if it has moved. `progress(done, total)` counts cells
    /// read. Returns the page's path. Errors: a dataset without a fitted inverse transform, a
    /// changed input.
    public static func run(folder: String, input: String?, output: String, threads: Int = Parallel.defaultThreads,
                           progress: ((Int, Int) -> Void)? = nil) throws -> String {
        let data = try SentenceDataset(folder: folder)
        guard let fit = data.manifest.inverseTransform else {
            throw FileError(folder + "/manifest.json", "has no inverse transform; run 'c2s fit \(folder)' first")
        }
        let source = try DatasetInput.open(data.manifest, folder: folder, override: input)
        let (plan, transform) = try DatasetInput.replan(source, manifest: data.manifest, threads: threads, blockSize: 4096)
        let c = try InverseTransform.collect(source, plan: plan, settings: fit.settings, transform: transform,
                                             threads: threads, blockSize: 4096, progress: progress)
        let samples = InverseTransform.samples(values: c.values, global: c.global, byGroup: c.byGroup)
        let name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        let report = InverseTransformReport.build(datasetName: name, manifest: data.manifest, fit: fit, samples: samples)
        let path = URL(fileURLWithPath: output).appendingPathComponent("report.html").path
        try report.write(to: path)
        return path
    }
}
