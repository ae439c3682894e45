import ArgumentParser
import Foundation
import CMalloc

/// Standard output as a checked output: a closed pipe or a full disk behind `>` is an error,
/// not a silent kill (SIGPIPE) or a silently short result.
enum StandardOutput {
    /// Makes a write to a closed pipe fail with EPIPE instead of killing the process, so that
    /// `finish` can say what happened.
    static func reportWriteErrors() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Flushes standard output; a failed write (now or earlier, while printing) is one line on
    /// stderr and exit code 1.
    static func finish() throws {
        errno = 0
        guard c2s_stdout_failed() != 0 else { return }
        let reason = errno != 0 ? String(cString: strerror(errno)) : "a write failed"
        printError("error: standard output: cannot be written (\(reason)); the output is incomplete")
        throw ExitCode(1)
    }
}
