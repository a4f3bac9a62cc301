import { type Handlers, read } from "./kit.js";

export const stsHandlers: Handlers = {
  GetCallerIdentity: read((ctx) => ({
    UserId: "AIDAFAKEEBDBTESTUSER1",
    Account: ctx.w.accountId,
    Arn: `arn:aws:iam::${ctx.w.accountId}:user/ebdb-test`,
  })),
};
