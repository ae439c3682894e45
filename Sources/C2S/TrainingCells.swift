import CellSentences
import Foundation
import Prompts
import SingleCell

/// The cells a training run's prompts came from, by the names the prompts use: a sentence
/// dataset's own cells, or every source of a corpus (`c2s corpus`) with its cells named
/// `DATASET/CELL`, as the corpus's prompts name them. Training reads them for two things: the
/// labels of label-conditioned tasks (`c2s.json`) and the output head's gene rows.
enum TrainingCells {
    /// Whether `folder` is a corpus rather than a sentence dataset.
    static func isCorpus(_ folder: String) -> Bool { CorpusManifest.isCorpus(folder: folder) }

    /// The cells of `folder` with their first `maxGenes` genes; each cell's label (a corpus
    /// source's own label column, or `labelColumn` of a sentence dataset) under `labelField`
    /// when one is given.
    static func load(_ folder: String, maxGenes: Int, labelColumn: String?, labelField: String?) throws -> [CellRecord] {
        guard isCorpus(folder) else {
            var cells = try CellTable.load(folder, maxGenes: maxGenes).cells
            if let labelColumn, let labelField, labelColumn != labelField {
                for i in cells.indices { cells[i].fields[labelField] = cells[i].fields[labelColumn] }
            }
            return cells
        }
        let corpus = try CorpusManifest.read(folder: folder)
        var all: [CellRecord] = []
        for source in corpus.sources {
            let path = source.absolutePath.isEmpty ? (folder as NSString).appendingPathComponent(source.path) : source.absolutePath
            let cells: [CellRecord]
            do { cells = try CellTable.load(path, maxGenes: maxGenes).cells } catch {
                throw FileError((folder as NSString).appendingPathComponent("manifest.json"),
                                "source \(source.dataset) at \(path) cannot be read (\(error)); a corpus needs its sources where it found them")
            }
            for var c in cells {
                c.name = source.dataset + "/" + c.name
                if let labelField { c.fields[labelField] = c.fields[source.labelColumn] }
                all.append(c)
            }
        }
        return all
    }

    /// The organism every source of a corpus names (nil when they differ or none does).
    static func corpusOrganism(_ folder: String) -> String? {
        guard let corpus = try? CorpusManifest.read(folder: folder) else { return nil }
        let names = Set(corpus.sources.map(\.organism).filter { !$0.isEmpty })
        return names.count == 1 ? names.first : nil
    }
}
