import CBLAS
import CKernels
import XCTest
@testable import Transformer

/// OpenBLAS's thread count: all of ours when BLAS runs a model's products, one when c2s's bf16
/// GEMM does, and back to what was set after attention's single-threaded sections.
final class BLASThreadsTests: XCTestCase {
    override func tearDown() { Matmul.setThreads(KernelThreads.count) }

    /// A serial OpenBLAS build ignores thread counts (always 1): nothing to check there.
    private func skipUnlessThreaded() throws {
        openblas_set_num_threads(2)
        try XCTSkipIf(openblas_get_num_threads() != 2, "this OpenBLAS is built single-threaded")
    }

    func testTheCountFollowsWhoRunsTheModelsProducts() throws {
        try skipUnlessThreaded()
        let saved = KernelThreads.count
        defer { KernelThreads.count = saved }
        KernelThreads.count = 2
        Matmul.setThreads(forMatrices: .fp32)
        XCTAssertEqual(Matmul.blasThreads, 2)
        XCTAssertEqual(openblas_get_num_threads(), 2)
        let ownGEMM = c2s_has_bf16_dot() != 0
        for precision in [MatrixPrecision.bf16, .int8] {
            Matmul.setThreads(forMatrices: precision)
            XCTAssertEqual(Matmul.blasThreads, ownGEMM ? 1 : 2, "\(precision)")
            XCTAssertEqual(Int(openblas_get_num_threads()), Matmul.blasThreads, "\(precision)")
        }
    }

    func testSingleThreadedSectionsReturnToTheCountSet() throws {
        try skipUnlessThreaded()
        for set in [1, 2] {
            Matmul.setThreads(set)
            var inside: Int32 = -1
            Matmul.singleThreadedBLAS(when: true) { inside = openblas_get_num_threads() }
            XCTAssertEqual(inside, 1)
            XCTAssertEqual(openblas_get_num_threads(), Int32(set), "after the section")
            Matmul.singleThreadedBLAS(when: false) { inside = openblas_get_num_threads() }
            XCTAssertEqual(inside, Int32(set), "a serial section leaves BLAS as set")
        }
    }
}
