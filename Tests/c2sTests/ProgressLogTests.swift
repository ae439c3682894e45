@testable import c2s
import XCTest

/// When the plain progress lines of a log file are written, and what they say.
final class ProgressLogTests: XCTestCase {
    /// Feeds (time, done) updates of one phase and returns the lines, keyed by update index.
    func lines(_ updates: [(Double, Int)], total: Int, phase: String = "annotating", log: inout ProgressLog) -> [Int: String] {
        var out: [Int: String] = [:]
        for (i, (t, done)) in updates.enumerated() {
            if let line = log.update(phase: phase, done: done, total: total, unit: "cells", now: t) { out[i] = line }
        }
        return out
    }

    func testEveryFivePercentAndOnceAtTheEnd() {
        var log = ProgressLog()
        // 100 cells, one per 0.1 s: 5 % steps come long before 10 s.
        let updates = (1...100).map { (Double($0) / 10, $0) }
        let out = lines(updates, total: 100, log: &log)
        XCTAssertEqual(out.keys.sorted(), stride(from: 4, through: 99, by: 5).map { $0 }, "a line at 5, 10, ..., 100 cells")
        XCTAssertEqual(out[4], "annotating: 5/100 cells (5%), 10.0 cells/s, ETA 10s, elapsed 1s")
        XCTAssertEqual(out[29], "annotating: 30/100 cells (30%), 10.0 cells/s, ETA 7s, elapsed 3s")
        XCTAssertEqual(out[99], "annotating: 100/100 cells (100%), 10.0 cells/s, ETA 0s, elapsed 10s")
        for line in out.values { XCTAssertFalse(line.contains("\r") || line.contains("█"), line) }
        // Updates after completion (the same count again) add nothing.
        XCTAssertNil(log.update(phase: "annotating", done: 100, total: 100, unit: "cells", now: 30))
    }

    func testEveryTenSecondsWhenProgressIsSlow() {
        var log = ProgressLog()
        // 1000 cells, one every 3 s: 5 % would be 50 cells (150 s), so time decides.
        let updates = (1...12).map { (Double($0) * 3, $0) }
        let out = lines(updates, total: 1000, log: &log)
        // 12 s (first update 10 s or more after the start), then 24 s and 36 s.
        XCTAssertEqual(out.keys.sorted(), [3, 7, 11])
        XCTAssertEqual(out[3], "annotating: 4/1000 cells (0%), 0.3 cells/s, ETA 49m48s, elapsed 12s")
        XCTAssertEqual(out[7], "annotating: 8/1000 cells (0%), 0.3 cells/s, ETA 49m36s, elapsed 24s")
    }

    func testAPhaseThatEndsAtItsFirstUpdateGetsOneLine() {
        var log = ProgressLog()
        XCTAssertEqual(log.update(phase: "fitting", done: 7, total: 7, unit: "cells", now: 2),
                       "fitting: 7/7 cells (100%), 3.5 cells/s, ETA 0s, elapsed 2s")
        XCTAssertNil(log.update(phase: "fitting", done: 7, total: 7, unit: "cells", now: 2.5))
    }

    func testANewPhaseCountsAfreshFromTheEndOfTheLastOne() {
        var log = ProgressLog()
        XCTAssertNotNil(log.update(phase: "selecting", done: 50, total: 50, unit: "cells", now: 5))
        // The next phase's clock starts at the previous update (5 s), so its rate is 40 / 2 s;
        // its 5 % steps count from 0, not from the last phase's count.
        XCTAssertNil(log.update(phase: "embedding", done: 1, total: 400, unit: "cells", now: 6))
        XCTAssertEqual(log.update(phase: "embedding", done: 40, total: 400, unit: "cells", now: 7),
                       "embedding: 40/400 cells (10%), 20.0 cells/s, ETA 18s, elapsed 7s")
        XCTAssertNil(log.update(phase: "embedding", done: 50, total: 400, unit: "cells", now: 8), "2.5 % since the last line, 1 s")
        XCTAssertEqual(log.update(phase: "embedding", done: 60, total: 400, unit: "cells", now: 9),
                       "embedding: 60/400 cells (15%), 15.0 cells/s, ETA 23s, elapsed 9s")
        // Back to a phase seen before: a new count, and its 100 % line again.
        XCTAssertEqual(log.update(phase: "selecting", done: 10, total: 10, unit: "cells", now: 10),
                       "selecting: 10/10 cells (100%), 10.0 cells/s, ETA 0s, elapsed 10s")
    }

    func testTheUnitIsTheCallersAndAnEmptyTotalIsComplete() {
        var log = ProgressLog()
        XCTAssertEqual(log.update(phase: "generating", done: 0, total: 0, unit: "prompts", now: 1),
                       "generating: 0/0 prompts (100%), 0.0 prompts/s, ETA 0s, elapsed 1s")
        XCTAssertEqual(log.update(phase: "label-swap test", done: 3, total: 20, unit: "cell-label pairs", now: 2),
                       "label-swap test: 3/20 cell-label pairs (15%), 3.0 cell-label pairs/s, ETA 6s, elapsed 2s")
    }

    func testDurations() {
        XCTAssertEqual(durationText(0), "0s")
        XCTAssertEqual(durationText(59.4), "59s")
        XCTAssertEqual(durationText(245), "4m05s")
        XCTAssertEqual(durationText(7625), "2h07m")
        XCTAssertEqual(durationText(.nan), "?")
        XCTAssertEqual(durationText(-1), "?")
    }
}
