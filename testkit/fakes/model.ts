// The model fake still lives in test/fakes/model/; scripts reach it through testkit.
export * from "../../test/fakes/model/index.ts";
