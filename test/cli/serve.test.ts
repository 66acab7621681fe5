import { expect } from "chai";
import { mallocArenaAdvice } from "../../src/cli/serve.js";

describe("cli/serve", () => {
  describe("mallocArenaAdvice", () => {
    it("advises MALLOC_ARENA_MAX on Linux when it is unset or empty", () => {
      for (const env of [{}, { MALLOC_ARENA_MAX: "" }]) {
        const advice = mallocArenaAdvice("linux", env);
        expect(advice).to.be.a("string").and.include("MALLOC_ARENA_MAX=2");
        expect(advice).to.include("docs/deploy.md");
      }
    });

    it("stays quiet when it is set, and on other platforms", () => {
      expect(mallocArenaAdvice("linux", { MALLOC_ARENA_MAX: "2" })).to.equal(null);
      expect(mallocArenaAdvice("darwin", {})).to.equal(null);
      expect(mallocArenaAdvice("win32", {})).to.equal(null);
    });
  });
});
