import CCrypto
import Foundation

/// SHA-256 of a file, computed with OpenSSL (which uses the CPU's SHA instructions when present).
public enum FileChecksum {
    /// Hex SHA-256 of the file at `path`, or of every file under it (sorted by relative path,
    /// hashing each relative path and its contents) when `path` is a folder.
    public static func sha256(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw FileError(path, "no such file or directory")
        }
        guard let ctx = EVP_MD_CTX_new() else { throw FileError(path, "cannot start SHA-256") }
        defer { EVP_MD_CTX_free(ctx) }
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        if isDir.boolValue {
            let files = (FileManager.default.subpaths(atPath: path) ?? []).sorted().filter {
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: path + "/" + $0, isDirectory: &d) && !d.boolValue
            }
            for rel in files {
                rel.utf8CString.withUnsafeBufferPointer { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
                try update(ctx, path + "/" + rel)
            }
        } else {
            try update(ctx, path)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &digest, &length)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Hex SHA-256 of the files `names` of `folder`, in the order given, hashing each name and
    /// then its contents (as the folder form of `sha256(_:)` does for every file), so that a
    /// folder's checksum can cover the files that make it up and not what else lies beside them.
    public static func sha256(files names: [String], in folder: String) throws -> String {
        guard let ctx = EVP_MD_CTX_new() else { throw FileError(folder, "cannot start SHA-256") }
        defer { EVP_MD_CTX_free(ctx) }
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
        for name in names {
            let path = folder + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { throw FileError(path, "no such file") }
            name.utf8CString.withUnsafeBufferPointer { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            try update(ctx, path)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &digest, &length)
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Hex SHA-256 of `bytes`.
    public static func sha256(bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        bytes.withUnsafeBytes { b in
            _ = EVP_Digest(b.baseAddress, b.count, &digest, &length, EVP_sha256(), nil)
        }
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    static func update(_ ctx: OpaquePointer, _ path: String) throws {
        guard let f = fopen(path, "rb") else { throw FileError(path, "cannot open file for reading") }
        defer { fclose(f) }
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = fread(buffer, 1, size, f)
            if n > 0 { EVP_DigestUpdate(ctx, buffer, n) }
            if n < size {
                if ferror(f) != 0 { throw FileError(path, "read error while computing checksum") }
                break
            }
        }
    }
}
