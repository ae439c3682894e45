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

    func testDamagedGenerationConfigIsAnErrorNamingIt() throws {
        // Ignored, a damaged generation_config.json silently changed where responses end.
        let bare = TestPaths.fixtures.appendingPathComponent("lm/pythia_text").path
        let tmp = try TemporaryFolder()
        for f in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: bare + "/" + f, toPath: tmp.file(f))
        }
        try #"{"eos_token_id": [0, 7]}"#.write(toFile: tmp.file("generation_config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try C2SModel(folder: tmp.path).stopTokens, [0, 7])
        try #"{"eos_token_id": "#.write(toFile: tmp.file("generation_config.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try C2SModel(folder: tmp.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(tmp.file("generation_config.json")) && text.contains("is not a JSON object"), text)
        }
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

    /// The bytes `c2s train` writes are those `JSONSerialization` wrote before `C2SMetadata` was
    /// Codable: the same keys, order, spacing and escaping, for awkward task names and labels.
    func testWrittenBytesEqualTheEarlierWriter() throws {
        let odd = ["B", "b", "CD14 Mono", "a/b", "é", "\u{1F}", "quote \" and \\", "task10", "task2", "Task_1", "_x", "1", "😀"]
        var m = C2SMetadata(seen: TrainingTasksSeen(), examples: ["train": 1600, "validation": 0, "test": 7], lossOn: .all, maxLength: 256,
                            sentenceDatasetPath: "/data/kang sentences/ds", truncation: TruncationReport())
        m.tasks = odd
        m.labels = Dictionary(uniqueKeysWithValues: odd.map { ($0, odd) })
        m.truncation?.examples = 12
        m.truncation?.droppedGenes = 3
        m.labelColumn = "cell type/é"
        m.organism = "Mus musculus"
        m.promptFormat = "c2s-scale"
        m.separator = "\t"
        let rule = "cell sentences lose their last (lowest-ranked) genes using input_sentence_spans; without spans, tokens are dropped from the start of the input; responses are never cut"
        var object: [String: Any] = [
            "format": "c2s-model", "version": 1, "separator": "\t", "eos_appended": true, "loss_on": "all",
            "tasks": odd, "labels": m.labels, "examples": m.examples, "max_length": 256,
            "truncation": ["examples": 12, "truncated_by_sentence": 0, "dropped_genes": 3, "truncated_by_tokens": 0,
                           "dropped_tokens": 0, "longest_tokens": 0, "rule": rule] as [String: Any],
            "label_column": "cell type/é", "organism": "Mus musculus", "prompt_format": "c2s-scale",
            "sentence_dataset": ["path": "/data/kang sentences/ds", "manifest": "manifest.json", "vocab": "vocab.tsv"],
        ]
        var expected = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        expected.append(0x0A)
        XCTAssertEqual(String(decoding: try m.json(), as: UTF8.self), String(decoding: expected, as: UTF8.self))

        // The least a model records: no optional key, empty lists and maps.
        let bare = C2SMetadata(seen: TrainingTasksSeen(), examples: [:], lossOn: .response, maxLength: 64, sentenceDatasetPath: nil,
                               truncation: TruncationReport())
        object = ["format": "c2s-model", "version": 1, "separator": " ", "eos_appended": true, "loss_on": "response",
                  "tasks": [String](), "labels": [String: [String]](), "examples": [String: Int](), "max_length": 64,
                  "truncation": ["examples": 0, "truncated_by_sentence": 0, "dropped_genes": 0, "truncated_by_tokens": 0,
                                 "dropped_tokens": 0, "longest_tokens": 0, "rule": rule] as [String: Any]]
        expected = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        expected.append(0x0A)
        XCTAssertEqual(String(decoding: try bare.json(), as: UTF8.self), String(decoding: expected, as: UTF8.self))
        // And what is written reads back as it was (the file's path aside).
        let tmp = try TemporaryFolder()
        try m.json().write(to: URL(fileURLWithPath: tmp.file(C2SMetadata.fileName)))
        var read = try XCTUnwrap(try C2SMetadata.read(folder: tmp.path))
        XCTAssertEqual(read.path, tmp.file(C2SMetadata.fileName))
        read.path = m.path
        read.truncation = m.truncation
        XCTAssertEqual(read.tasks, odd)
        XCTAssertEqual(read.labels, m.labels.mapValues { $0.sorted() })
        read.labels = m.labels
        XCTAssertEqual(read, m)
    }

    /// Read leniently, as when the file went through `JSONSerialization`: numbers with a
    /// fraction are cut to integers, a value of another type than expected is ignored, tasks
    /// may be a map, and what cannot be a task list is an error naming the file.
    func testLenientReadingOfOtherWriters() throws {
        let tmp = try TemporaryFolder()
        var m = try XCTUnwrap(try C2SMetadata.read(folder: try write(
            #"{"tasks": {"tissue_prediction": {"labels": ["lung", "blood"]}, "cell_type_prediction": 3}, "num_genes": 64.9, "max_length": 1e2, "separator": 7, "organism": null, "loss_on": "everything", "examples": {"train": 10.5, "test": "x"}, "sentence_dataset": {"path": 3}, "sentences": "ds"}"#, in: tmp)))
        XCTAssertEqual(m.tasks, ["cell_type_prediction", "tissue_prediction"])
        XCTAssertEqual(m.labels, ["tissue_prediction": ["blood", "lung"]])
        XCTAssertEqual(m.topGenes, 64)
        XCTAssertEqual(m.maxLength, 100)
        XCTAssertEqual(m.separator, " ")
        XCTAssertNil(m.organism)
        XCTAssertNil(m.lossOn)
        XCTAssertEqual(m.examples, ["train": 10])
        XCTAssertNil(m.sentenceDatasetPath)
        XCTAssertEqual(m.sentencesFolder, "ds")
        m = try XCTUnwrap(try C2SMetadata.read(folder: try write(#"{"top_k": 0, "top_k_genes": -2, "num_genes": 30, "loss_on": "all"}"#, in: tmp)))
        XCTAssertEqual(m.topGenes, 30, "the first positive spelling")
        XCTAssertEqual(m.lossOn, .all)
        for bad in [#"{"tasks": [1]}"#, #"{"labels": {"a": [1]}}"#, #"{"labels": 3}"#, "not json", "\"text\""] {
            XCTAssertThrowsError(try C2SMetadata.read(folder: try write(bad, in: tmp)), bad) { e in
                XCTAssertTrue("\(e)".contains(tmp.file("c2s.json")), "\(e)")
            }
        }
    }

    /// `top_k`: the most words any input sentence span holds (code-point offsets, several cells
    /// per input, spaces around the words); records without spans say nothing.
    func testGenesPerCellCountsTheWordsOfTheWidestSentenceSpan() throws {
        var seen = TrainingTasksSeen()
        XCTAssertEqual(seen.genesPerCell, 0)
        seen.add(PromptRecord(task: "t", split: "train", cellNames: ["a"], modelInput: "no spans here at all, nine words long", response: "x", line: 1))
        XCTAssertEqual(seen.genesPerCell, 0)
        let first = "Gène1 αβ CD3E", second = "  MS4A1  CD79A "
        let input = "Cells: 😀 " + first + " | " + second + " ."
        let a = "Cells: 😀 ".unicodeScalars.count, b = a + first.unicodeScalars.count + 3
        seen.add(PromptRecord(task: "t", split: "train", cellNames: ["a", "b"], modelInput: input, response: "x",
                              sentenceSpans: [a..<(a + first.unicodeScalars.count), b..<(b + second.unicodeScalars.count)], line: 2))
        XCTAssertEqual(seen.genesPerCell, 3)
        seen.add(PromptRecord(task: "t", split: "train", cellNames: ["c"], modelInput: "G1 G2", response: "x", sentenceSpans: [0..<2], line: 3))
        XCTAssertEqual(seen.genesPerCell, 3, "the most, not the last")
        let m = C2SMetadata(seen: seen, examples: [:], lossOn: .response, maxLength: 8, sentenceDatasetPath: nil, truncation: TruncationReport())
        XCTAssertEqual(m.topGenes, 3)
        XCTAssertTrue(String(decoding: try m.json(), as: UTF8.self).contains("\"top_k\" : 3"))
    }
}
