import { expect } from "chai";
import { mallocArenaAdvice } from "../../src/cli/serve.js";

describe("cli/serve", () => {
  describe("mallocArenaAdvice", () => {
    it("advises both glibc settings on Linux when they are unset or empty", () => {
      for (const env of [{}, { MALLOC_ARENA_MAX: "", MALLOC_MMAP_THRESHOLD_: "" }]) {
        const advice = mallocArenaAdvice("linux", env);
        expect(advice).to.be.a("string").and.include("MALLOC_ARENA_MAX=2");
        expect(advice).to.include("MALLOC_MMAP_THRESHOLD_=131072");
        expect(advice).to.include("are not set");
        expect(advice).to.include("docs/deploy.md");
      }
    });

    it("names only the setting that is missing", () => {
      const noThreshold = mallocArenaAdvice("linux", { MALLOC_ARENA_MAX: "2" });
      expect(noThreshold).to.match(/^MALLOC_MMAP_THRESHOLD_ is not set/);
      expect(noThreshold).to.not.include("MALLOC_ARENA_MAX");
      const noArenas = mallocArenaAdvice("linux", { MALLOC_MMAP_THRESHOLD_: "131072" });
      expect(noArenas).to.match(/^MALLOC_ARENA_MAX is not set: set MALLOC_ARENA_MAX=2 /);
    });

    it("stays quiet when both are set, and on other platforms", () => {
      expect(
        mallocArenaAdvice("linux", { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" }),
      ).to.equal(null);
      expect(mallocArenaAdvice("darwin", {})).to.equal(null);
      expect(mallocArenaAdvice("win32", {})).to.equal(null);
    });
  });
});
