import ArgumentParser
import Mechanics

/// Turns the library's errors (``C2SError``) into one clear line on stderr and their exit code.
enum CLIErrors {
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as any C2SError {
            printError("error: \(e.description)")
            throw ExitCode(e.exitCode)
        }
    }
}
