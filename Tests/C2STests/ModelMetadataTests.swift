import C2S
import CellSentences
import Prompts
import SingleCell
import TestSupport
import XCTest

/// C2S metadata: read leniently, and a missing piece is an error that says how to supply it.
final class ModelMetadataTests: XCTestCase {
    func write(_ json: String, in folder: TemporaryFolder) throws -> String {
        try json.write(toFile: folder.file("c2s.json"), atomically: true, encoding: .utf8)
        return folder.path
    }

    func testSpellingsOfTasksAndLabels() throws {
        let tmp = try TemporaryFolder()
        var m = try XCTUnwrap(try C2SMetadata.read(folder: try write(
            #"{"tasks": ["cell_type_prediction", "cell_type_generation"], "labels": {"cell_type_prediction": ["NK", "B"]}, "separator": " ", "top_k": 100, "organism": "Mus musculus"}"#, in: tmp)))
        XCTAssertEqual(m.tasks, ["cell_type_prediction", "cell_type_generation"])
        XCTAssertEqual(m.labels(for: "cell_type_prediction"), ["B", "NK"])
        // A task without its own labels (generation conditions) gets every known label.
        XCTAssertEqual(m.labels(for: "cell_type_generation"), ["B", "NK"])
        XCTAssertEqual(m.topGenes, 100)
        XCTAssertEqual(m.organism, "Mus musculus")

        m = try XCTUnwrap(try C2SMetadata.read(folder: try write(
            #"{"tasks": [{"name": "tissue_prediction", "labels": ["lung", "blood"]}], "top_k_genes": 50}"#, in: tmp)))
        XCTAssertEqual(m.labels["tissue_prediction"], ["blood", "lung"])
        XCTAssertEqual(m.topGenes, 50)

        // As 'c2s train' writes it.
        m = try XCTUnwrap(try C2SMetadata.read(folder: try write(
            #"{"format": "c2s-model", "version": 1, "separator": " ", "eos_appended": true, "loss_on": "response", "max_length": 256, "tasks": ["cell_type_prediction"], "examples": {"train": 1600}, "labels": {"cell_type_prediction": ["B", "CD14 Mono"]}, "sentence_dataset": {"path": "/data/kang-sentences", "manifest": "manifest.json", "vocab": "vocab.tsv"}}"#, in: tmp)))
        XCTAssertEqual(m.labels(for: "cell_type_prediction"), ["B", "CD14 Mono"])
        XCTAssertEqual(m.sentenceDatasetPath, "/data/kang-sentences")
        XCTAssertEqual(m.maxLength, 256)
        XCTAssertNil(m.topGenes)

        m = try XCTUnwrap(try C2SMetadata.read(folder: try write(#"{"label_values": ["T", "B"]}"#, in: tmp)))
        XCTAssertEqual(m.labels(for: "cell_type_prediction"), ["B", "T"])

        XCTAssertThrowsError(try C2SMetadata.read(folder: try write("[1, 2]", in: tmp)))
        XCTAssertThrowsError(try C2SMetadata.read(folder: try write(#"{"tasks": 3}"#, in: tmp)))
        XCTAssertNil(try C2SMetadata.read(folder: try TemporaryFolder().path))
    }

    func testModelWithoutMetadataSaysWhatIsMissing() throws {
        let bare = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path
        let model = try C2SModel(folder: bare)
        XCTAssertNil(model.metadata)
        XCTAssertNil(model.sentences)
        XCTAssertThrowsError(try model.requireLabels(task: "cell_type_prediction", given: nil)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("c2s.json") && text.contains("--labels") && text.contains("--mode free"), text)
        }
        XCTAssertEqual(try model.requireLabels(task: "cell_type_prediction", given: ["a", "b"]), ["a", "b"])
        XCTAssertThrowsError(try model.requireSentences(for: "generating cells")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("generating cells") && text.contains("--sentences"), text)
        }
        // --sentences supplies it.
        let withDataset = try C2SModel(folder: bare, sentences: try C2SFixture.get().sentences)
        XCTAssertEqual(try withDataset.requireSentences(for: "x").genes.count, try SentenceDataset(folder: try C2SFixture.get().sentences).genes.count)
        XCTAssertEqual(model.topGenes(nil), 200)
    }

    func testLowGeneOverlapIsReportedWithTheFigure() throws {
        let cells = [CellRecord(name: "a", sentence: "CD3D X1 X2 X3"), CellRecord(name: "b", sentence: "LYZ X4")]
        let vocabulary = ["CD3D", "LYZ", "MS4A1", "CD14", "NKG7"]
        let low = GeneOverlap(cells: cells, topK: 10, inputGenes: nil, vocabulary: vocabulary, measureWords: true)
        XCTAssertEqual(low.knownWords, 2)
        XCTAssertEqual(low.words, 6)
        XCTAssertEqual(low.sharedGenes, 2)
        XCTAssertEqual(low.inputGenes, 6)
        let warning = try XCTUnwrap(low.warning)
        XCTAssertTrue(warning.contains("2 of the model's 5 vocabulary genes (40.0%") && warning.contains("33.3%"), warning)
        // A count matrix: its gene list against the vocabulary.
        let matrix = GeneOverlap(cells: [], topK: 10, inputGenes: ["CD3D", "LYZ", "MS4A1", "X"], vocabulary: vocabulary, measureWords: false)
        XCTAssertNil(matrix.words)
        XCTAssertEqual(matrix.coverage, 0.6)
        XCTAssertNil(matrix.warning)
        XCTAssertNotNil(GeneOverlap(cells: [], topK: 10, inputGenes: ["ENSG01", "ENSG02"], vocabulary: vocabulary, measureWords: false).warning)
    }

    func testTemplatesAreChosenByNumberAndChecked() throws {
        XCTAssertEqual(try TaskPrompt(task: "cell_type_prediction", kind: .singleCell, template: 3).templateIndex, 2)
        XCTAssertThrowsError(try TaskPrompt(task: "cell_type_prediction", kind: .singleCell, template: 99)) { e in
            XCTAssertTrue("\(e)".contains("input template(s)") && "\(e)".contains("1...18"), "\(e)")
        }
        XCTAssertThrowsError(try TaskPrompt(task: "no_such_task", kind: .singleCell)) { e in
            XCTAssertTrue("\(e)".contains("cell_type_prediction"), "\(e)")
        }
        XCTAssertThrowsError(try TaskPrompt(task: "tissue_prediction", kind: .singleCell))
    }

    /// One type writes c2s.json and reads it back: what training records is what the tasks see.
    func testWhatTrainingWritesReadsBack() throws {
        let records = [
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["a"], modelInput: "i", response: "NK", line: 1),
            PromptRecord(task: "cell_type_prediction", split: "train", cellNames: ["b"], modelInput: "i", response: "B", line: 2),
            PromptRecord(task: "cell_type_generation", split: "train", cellNames: ["c"], modelInput: "i", response: "CD3E", line: 3),
        ]
        var written = C2SMetadata(train: records, examples: ["train": 3, "validation": 1], lossOn: .all, maxLength: 96,
                                  sentenceDatasetPath: "/data/ds", truncation: TruncationReport())
        written.addConditionLabels(train: records, cellLabel: { ["c": "T"][$0] })
        written.labelColumn = "cell_type"
        written.organism = "Mus musculus"
        written.promptFormat = "c2s-scale"
        written.separator = ""
        let tmp = try TemporaryFolder()
        try written.json().write(to: URL(fileURLWithPath: tmp.file(C2SMetadata.fileName)))
        let read = try XCTUnwrap(try C2SMetadata.read(folder: tmp.path))
        XCTAssertEqual(read.tasks, ["cell_type_generation", "cell_type_prediction"])
        XCTAssertEqual(read.labels, ["cell_type_prediction": ["B", "NK"], "cell_type_generation": ["T"]])
        XCTAssertEqual(read.separator, "")
        XCTAssertEqual(read.promptFormat, "c2s-scale")
        XCTAssertEqual(read.labelColumn, "cell_type")
        XCTAssertEqual(read.organism, "Mus musculus")
        XCTAssertEqual(read.maxLength, 96)
        XCTAssertEqual(read.lossOn, .all)
        XCTAssertEqual(read.examples, ["train": 3, "validation": 1])
        XCTAssertEqual(read.sentenceDatasetPath, "/data/ds")
        XCTAssertEqual(read.path, tmp.file(C2SMetadata.fileName))
    }
}
