import Foundation
import TestSupport
@testable import Transformer
import XCTest

/// The registry is the one place an architecture is named: every entry loads its tiny
/// checkpoint through `ModelLoader`, says the model type it makes, and is trainable exactly when
/// its model has a training pass.
final class ArchitectureRegistryTests: XCTestCase {
    func testEveryEntryLoadsItsCheckpointAndSaysWhetherItTrains() throws {
        let types = ArchitectureRegistry.all.map(\.modelType)
        XCTAssertEqual(Set(types).count, types.count, "one entry per model_type")
        XCTAssertEqual(ModelLoader.supportedTypes, ["gemma2", "gpt2", "gpt_neox", "llama"])
        XCTAssertEqual(ArchitectureRegistry.trainableTypes, ["gemma2", "gpt2", "gpt_neox", "llama"])
        for entry in ArchitectureRegistry.all {
            let folder = TestPaths.fixtures.appendingPathComponent("lm/\(entry.modelType)")
            let model = try ModelLoader.load(folder: folder)
            XCTAssertEqual(model.info.modelType, entry.modelType)
            XCTAssertEqual(model is any TrainableModel, entry.trainable, "\(entry.modelType): trainable as the registry says")
            XCTAssertTrue(ArchitectureRegistry.architecture(entry.modelType).map { $0.modelType == entry.modelType } ?? false)
        }
    }

    func testUnknownAndMissingModelTypesNameTheSupportedOnes() {
        for values in [["model_type": "mamba"], [:]] as [[String: Any]] {
            let file = ConfigFile(url: URL(fileURLWithPath: "/virtual/config.json"), values: values)
            XCTAssertThrowsError(try ModelLoader.makeModel(file)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("gemma2, gpt2, gpt_neox, llama"), text)
                if values.isEmpty { XCTAssertTrue(text.contains("model_type"), text) } else { XCTAssertTrue(text.contains("mamba"), text) }
            }
        }
    }
}
