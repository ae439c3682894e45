import Foundation
import SingleCell
import TestSupport
import XCTest

/// Mouse-style gene names through convert, prompts and train without extra flags: case kept
/// (so `Pisd` and an all-caps `PISD` stay two genes), the organism detected and named.
final class MouseDataCLITests: XCTestCase {
    var tmp: TemporaryFolder!

    override func setUpWithError() throws {
        tmp = try TemporaryFolder()
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: TestPaths.c2sExecutable), "c2s not built at \(TestPaths.c2sExecutable)")
    }

    override func tearDown() { tmp.remove() }

    func c2s(_ args: [String]) throws -> ProcessResult { try runProcess(TestPaths.c2sExecutable, args) }

    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func firstLine(_ path: String) throws -> [String: Any] {
        let line = try XCTUnwrap(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").first)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testMouseNamesKeepCaseAndNameTheOrganism() throws {
        let csv = tmp.file("mouse.csv")
        try "cell,Actb,Pisd,PISD,mt-Co1,Cd3e\nc1,5,2,1,3,0\nc2,1,0,4,2,6\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let out = tmp.file("ds")
        var r = try c2s(["convert", csv, "-o", out, "--min-genes", "0", "--min-cells", "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("case kept") && r.stderr.contains("Mus musculus"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: out + "/vocab.tsv", encoding: .utf8),
                       "gene\tn_cells\nActb\t2\nPisd\t1\nPISD\t2\nmt-Co1\t2\nCd3e\t1\n")
        let manifest = try json(out + "/manifest.json")
        XCTAssertEqual(manifest["organism"] as? String, "Mus musculus")
        XCTAssertEqual(manifest["organism_source"] as? String, "detected from gene names")
        XCTAssertEqual((manifest["sentences"] as? [String: Any])?["upper_case"] as? Bool, false)

        // Prompts name the dataset's organism unless told otherwise.
        r = try c2s(["prompts", out, "--task", "unconditional_generation", "--top-k", "3", "-o", tmp.file("p.jsonl"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue((try firstLine(tmp.file("p.jsonl"))["model_input"] as? String ?? "").contains("Mus musculus"))
        r = try c2s(["prompts", out, "--task", "unconditional_generation", "--top-k", "3", "--organism", "Rattus norvegicus",
                     "-o", tmp.file("p.jsonl"), "--overwrite", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue((try firstLine(tmp.file("p.jsonl"))["model_input"] as? String ?? "").contains("Rattus norvegicus"))

        // --organism at convert is recorded as given.
        r = try c2s(["convert", csv, "-o", tmp.file("rat"), "--min-genes", "0", "--min-cells", "0", "--organism", "Rattus norvegicus", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rat = try json(tmp.file("rat/manifest.json"))
        XCTAssertEqual(rat["organism"] as? String, "Rattus norvegicus")
        XCTAssertEqual(rat["organism_source"] as? String, "given")

        // Upper-casing like the reference merges Pisd and PISD: a clear error, no output.
        r = try c2s(["convert", csv, "-o", tmp.file("upper"), "--min-genes", "0", "--min-cells", "0", "--upper-case", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("mouse.csv") && r.stderr.contains("PISD <- Pisd, PISD"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.file("upper")))
        r = try c2s(["convert", csv, "-o", tmp.file("both"), "--upper-case", "--keep-case", "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--keep-case and --upper-case"), r.stderr)
    }

    /// Real counts (kang-ifnb-sub2k as a 10x folder) with the genes renamed the mouse way, and
    /// two genes renamed to the all-caps twin of another (PISD beside Pisd, ACTB beside Actb).
    func mouseStyleKang() throws -> String {
        let source = try TestPaths.sharedFile("kang-ifnb-sub2k/mtx")
        let folder = tmp.file("mouse-mtx")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for f in ["matrix.mtx.gz", "barcodes.tsv.gz"] { try FileManager.default.copyItem(atPath: source + "/" + f, toPath: folder + "/" + f) }
        let unzip = try runProcess("/bin/gzip", ["-dc", source + "/features.tsv.gz"])
        XCTAssertEqual(unzip.status, 0, unzip.stderr)
        var genes = String(decoding: unzip.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        let twins = ["PISD", "ACTB"]
        for twin in twins {
            // The gene after the twin's original takes the all-caps name.
            let i = try XCTUnwrap(genes.firstIndex(of: twin))
            genes[i + 1] = twin + "_TWIN"
        }
        genes = genes.map { g in
            if g.hasSuffix("_TWIN") { return String(g.dropLast(5)) }
            if g.hasPrefix("MT-") { return "mt-" + g.dropFirst(3).prefix(1).uppercased() + g.dropFirst(4).lowercased() }
            return g.prefix(1).uppercased() + g.dropFirst().lowercased()
        }
        let features = folder + "/features.tsv"
        try (genes.joined(separator: "\n") + "\n").write(toFile: features, atomically: true, encoding: .utf8)
        XCTAssertEqual(try runProcess("/bin/gzip", [features]).status, 0)
        return folder
    }

    func testMouseStyleRealDataConvertsPromptsAndTrainsWithoutFlags() throws {
        let input = try mouseStyleKang()
        let sentences = tmp.file("sentences")
        var r = try c2s(["convert", input, "-o", sentences, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let vocab = Set(try String(contentsOfFile: sentences + "/vocab.tsv", encoding: .utf8).split(separator: "\n").map { String($0.split(separator: "\t")[0]) })
        for gene in ["Pisd", "PISD", "Actb", "ACTB", "Cd74"] { XCTAssertTrue(vocab.contains(gene), "\(gene) missing from the vocabulary") }
        let manifest = try json(sentences + "/manifest.json")
        XCTAssertEqual(manifest["organism"] as? String, "Mus musculus")
        XCTAssertEqual(((manifest["sentences"] as? [String: Any])?["gene_name_clashes"] as? [Any])?.count, 0)

        let prompts = tmp.file("prompts.jsonl")
        r = try c2s(["prompts", sentences, "--task", "unconditional_generation:1", "--top-k", "10", "--examples", "40",
                     "-o", prompts, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = try String(contentsOfFile: prompts, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 40)
        XCTAssertTrue(lines.allSatisfy { $0.contains("Mus musculus") && !$0.contains("Homo sapiens") })

        // The model records the dataset's organism, so inference names it too.
        r = try c2s(["tokenizer", "train", prompts, "-o", tmp.file("tok"), "--vocab-size", "400"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try c2s(["train", prompts, "--new-model", "gpt_neox", "--hidden-size", "16", "--layers", "1", "--heads", "2", "--context", "128",
                     "--tokenizer", tmp.file("tok"), "--batch-size", "4", "--max-steps", "1", "--sentences", sentences,
                     "-o", tmp.file("model"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try json(tmp.file("model/c2s.json"))["organism"] as? String, "Mus musculus")

        // The unchanged human file says Homo sapiens.
        let human = try TestPaths.sharedFile("kang-ifnb-sub2k/kang_ifnb_sub2k.h5ad")
        r = try c2s(["convert", human, "-o", tmp.file("human"), "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let h = try json(tmp.file("human/manifest.json"))
        XCTAssertEqual(h["organism"] as? String, "Homo sapiens")
        XCTAssertEqual((h["sentences"] as? [String: Any])?["upper_case"] as? Bool, true)
    }
}
