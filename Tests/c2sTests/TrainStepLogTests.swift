@testable import c2s
import Transformer
import XCTest

/// The step lines of `c2s train --log-every N`: which steps get one, and what they say.
final class TrainStepLogTests: XCTestCase {
    struct NotAStepLine: Error { let line: String }

    /// A step as metrics.jsonl holds it: `tokens` tokens in `seconds`, the run `elapsed` seconds old.
    func step(_ step: Int, loss: Double, lr: Double, tokens: Int = 100, seconds: Double = 1, elapsed: Double) throws -> StepMetrics {
        let line = "{\"step\":\(step),\"epoch\":0.5,\"loss\":\(loss),\"lr\":\(lr),\"grad_norm\":1,\"tokens\":\(tokens),"
            + "\"target_tokens\":10,\"tokens_per_second\":100,\"seconds\":\(seconds),\"elapsed\":\(elapsed)}"
        guard case .step(let m)? = MetricsRecord(jsonLine: line) else { throw NotAStepLine(line: line) }
        return m
    }

    func testALineEveryNStepsAndAtTheLastWithTheMeanLossSinceThePreviousLine() throws {
        var log = TrainStepLog(every: 3, totalSteps: 7)
        let losses = [2.0, 1.0, 3.0, 1.5, 0.5, 1.0, 0.25]
        var lines: [Int: String] = [:]
        for (i, loss) in losses.enumerated() {
            let k = i + 1
            // One second a step, after a quarter second of setup.
            if let line = log.record(try step(k, loss: loss, lr: 1e-3 * Double(k), elapsed: Double(k) + 0.25)) { lines[k] = line }
        }
        XCTAssertEqual(lines.keys.sorted(), [3, 6, 7])
        XCTAssertEqual(lines[3], "training: step 3/7, loss 2.0000, lr 3.00e-03, 100 tok/s, elapsed 3s, ETA 4s")
        XCTAssertEqual(lines[6], "training: step 6/7, loss 1.0000, lr 6.00e-03, 100 tok/s, elapsed 6s, ETA 1s")
        XCTAssertEqual(lines[7], "training: step 7/7, loss 0.2500, lr 7.00e-03, 100 tok/s, elapsed 7s, ETA 0s")
    }

    func testTheTokenRateIsOverTheStepsSinceThePreviousLine() throws {
        var log = TrainStepLog(every: 2, totalSteps: 4)
        XCTAssertNil(log.record(try step(1, loss: 1, lr: 1e-4, tokens: 300, seconds: 1, elapsed: 1)))
        XCTAssertEqual(log.record(try step(2, loss: 1, lr: 1e-4, tokens: 100, seconds: 1, elapsed: 2)),
                       "training: step 2/4, loss 1.0000, lr 1.00e-04, 200 tok/s, elapsed 2s, ETA 2s")
        XCTAssertNil(log.record(try step(3, loss: 1, lr: 1e-4, tokens: 50, seconds: 0.5, elapsed: 2.5)))
        XCTAssertEqual(log.record(try step(4, loss: 1, lr: 1e-4, tokens: 50, seconds: 0.5, elapsed: 3)),
                       "training: step 4/4, loss 1.0000, lr 1.00e-04, 100 tok/s, elapsed 3s, ETA 0s")
    }

    func testAResumedRunTimesOnlyItsOwnSteps() throws {
        // Resumed after step 10 of 20, the first part having taken 100 s: the ETA comes from
        // this part's 1 s a step, not from 105 s over 15 steps.
        var log = TrainStepLog(every: 5, totalSteps: 20)
        var line: String?
        for k in 11...15 { line = log.record(try step(k, loss: Double(k), lr: 2e-5, elapsed: 100 + Double(k - 10))) }
        XCTAssertEqual(line, "training: step 15/20, loss 13.0000, lr 2.00e-05, 100 tok/s, elapsed 1m45s, ETA 5s")
    }
}
