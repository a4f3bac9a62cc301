import type {
  CreateTopicCommandInput,
  DeleteTopicCommandInput,
  GetTopicAttributesCommandInput,
  ListSubscriptionsByTopicCommandInput,
  ListTagsForResourceCommandInput,
  ListTopicsCommandInput,
  SetTopicAttributesCommandInput,
  SubscribeCommandInput,
  TagResourceCommandInput,
  UnsubscribeCommandInput,
  UntagResourceCommandInput,
} from "@aws-sdk/client-sns";
import { type Ctx, type Handlers, read, write } from "./kit.js";
import type { SnsTopic } from "./state.js";
import { mergeTags } from "./world.js";

function getTopic(ctx: Ctx, arn: string | undefined): SnsTopic {
  const t = [...ctx.r.sns.topics.values()].find((x) => x.arn === arn);
  if (!t || !ctx.w.visible("SNSTopic", ctx.region, t.name))
    throw ctx.err("NotFoundException", "Topic does not exist", 404);
  return t;
}

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(b).every((k) => a[k] === b[k]);

export const snsHandlers: Handlers = {
  CreateTopic: write<CreateTopicCommandInput>((ctx, input) => {
    const name = input.Name ?? "";
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
      throw ctx.err("InvalidParameterException", "Invalid parameter: Topic Name");
    }
    const existing = ctx.r.sns.topics.get(name);
    if (existing) {
      // CreateTopic is idempotent by name, unless the attributes or tags differ.
      if (input.Attributes && !sameMap(existing.attributes, input.Attributes)) {
        throw ctx.err(
          "InvalidParameterException",
          "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        );
      }
      const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
      const have = Object.fromEntries(existing.tags.map((t) => [t.Key, t.Value]));
      if (input.Tags && !sameMap(have, tags)) {
        throw ctx.err(
          "InvalidParameterException",
          "Invalid parameter: Tags Reason: Topic already exists with different tags",
        );
      }
      return { TopicArn: existing.arn };
    }
    const topic: SnsTopic = {
      name,
      arn: `arn:aws:sns:${ctx.region}:${ctx.w.accountId}:${name}`,
      attributes: { ...(input.Attributes ?? {}) },
      tags: mergeTags([], input.Tags),
      subscriptions: [],
    };
    ctx.r.sns.topics.set(name, topic);
    ctx.w.created("SNSTopic", ctx.region, name);
    return { TopicArn: topic.arn };
  }),

  Subscribe: write<SubscribeCommandInput>((ctx, input) => {
    const t = getTopic(ctx, input.TopicArn);
    const protocol = input.Protocol ?? "";
    const endpoint = input.Endpoint ?? "";
    if (!["email", "email-json", "sqs", "lambda", "http", "https", "sms"].includes(protocol)) {
      throw ctx.err(
        "InvalidParameterException",
        "Invalid parameter: Amazon SNS does not support this protocol string",
      );
    }
    if (protocol.startsWith("email") && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(endpoint)) {
      throw ctx.err("InvalidParameterException", "Invalid parameter: Email address");
    }
    let sub = t.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (!sub) {
      sub = {
        arn: `${t.arn}:${ctx.w.uuid()}`,
        protocol,
        endpoint,
        confirmed: protocol === "sqs" || protocol === "lambda",
      };
      t.subscriptions.push(sub);
    }
    return {
      SubscriptionArn: sub.confirmed || input.ReturnSubscriptionArn ? sub.arn : "pending confirmation",
    };
  }),

  Unsubscribe: write<UnsubscribeCommandInput>((ctx, input) => {
    for (const t of ctx.r.sns.topics.values())
      t.subscriptions = t.subscriptions.filter((s) => s.arn !== input.SubscriptionArn);
    return {};
  }),

  ListSubscriptionsByTopic: read<ListSubscriptionsByTopicCommandInput>((ctx, input) => {
    const t = getTopic(ctx, input.TopicArn);
    const page = ctx.w.page("sns", t.subscriptions, input.NextToken, undefined, {
      min: 1,
      max: 100,
      param: "NextToken",
    });
    return {
      Subscriptions: page.items.map((s) => ({
        SubscriptionArn: s.confirmed ? s.arn : "PendingConfirmation",
        Owner: ctx.w.accountId,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        TopicArn: t.arn,
      })),
      NextToken: page.next,
    };
  }),

  ListTopics: read<ListTopicsCommandInput>((ctx, input) => {
    const topics = [...ctx.r.sns.topics.values()].filter((t) =>
      ctx.w.visible("SNSTopic", ctx.region, t.name),
    );
    const page = ctx.w.page("sns", topics, input.NextToken, undefined, {
      min: 1,
      max: 100,
      param: "NextToken",
    });
    return { Topics: page.items.map((t) => ({ TopicArn: t.arn })), NextToken: page.next };
  }),

  DeleteTopic: write<DeleteTopicCommandInput>((ctx, input) => {
    // Idempotent: deleting a topic that does not exist is not an error.
    for (const [name, t] of ctx.r.sns.topics) if (t.arn === input.TopicArn) ctx.r.sns.topics.delete(name);
    return {};
  }),

  GetTopicAttributes: read<GetTopicAttributesCommandInput>((ctx, input) => {
    const t = getTopic(ctx, input.TopicArn);
    return {
      Attributes: {
        TopicArn: t.arn,
        Owner: ctx.w.accountId,
        DisplayName: "",
        SubscriptionsConfirmed: String(t.subscriptions.filter((s) => s.confirmed).length),
        SubscriptionsPending: String(t.subscriptions.filter((s) => !s.confirmed).length),
        SubscriptionsDeleted: "0",
        Policy: JSON.stringify({ Version: "2008-10-17", Id: "__default_policy_ID", Statement: [] }),
        ...t.attributes,
      },
    };
  }),

  SetTopicAttributes: write<SetTopicAttributesCommandInput>((ctx, input) => {
    const t = getTopic(ctx, input.TopicArn);
    t.attributes[input.AttributeName ?? ""] = input.AttributeValue ?? "";
    return {};
  }),

  TagResource: write<TagResourceCommandInput>((ctx, input) => {
    const t = getTopic(ctx, input.ResourceArn);
    t.tags = mergeTags(t.tags, input.Tags);
    return {};
  }),

  UntagResource: write<UntagResourceCommandInput>((ctx, input) => {
    const t = getTopic(ctx, input.ResourceArn);
    t.tags = t.tags.filter((x) => !(input.TagKeys ?? []).includes(x.Key));
    return {};
  }),

  ListTagsForResource: read<ListTagsForResourceCommandInput>((ctx, input) => {
    return { Tags: getTopic(ctx, input.ResourceArn).tags.map((t) => ({ ...t })) };
  }),
};
