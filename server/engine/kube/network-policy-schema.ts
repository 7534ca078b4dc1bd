/**
 * A NetworkPolicy (networking.k8s.io/v1) as lab data, in the shape of its
 * YAML: the pods it selects (`podSelector.matchLabels`, `{}` for all of its
 * namespace), `policyTypes`, and ingress rules whose `from` peers are a
 * podSelector, a namespaceSelector, or both in one item. Two items of `from`
 * add up (OR); one item holding both selectors narrows (AND): the lab file
 * keeps that structure exactly, because it is the lesson. Ports are numbers
 * (named ports and ipBlock peers are not modelled; egress rules are refused
 * by validate-kube.ts until they are).
 */
import { Type, type TSchema } from "typebox";

export function networkPolicySchema<N extends TSchema, L extends TSchema>({ KubeName, Labels }: { KubeName: N; Labels: L }) {
  const Selector = Type.Object({ matchLabels: Type.Optional(Labels) }, { additionalProperties: false, description: "a label selector: matchLabels only; {} selects everything" });
  const Peer = Type.Object(
    {
      podSelector: Type.Optional(Selector),
      namespaceSelector: Type.Optional(Selector),
    },
    { additionalProperties: false, description: "a peer: pods of the policy's namespace (podSelector), every pod of the namespaces selected (namespaceSelector), or both in one item: those pods of those namespaces" },
  );
  const Port = Type.Object(
    {
      protocol: Type.Optional(Type.Union([Type.Literal("TCP"), Type.Literal("UDP")])),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
    },
    { additionalProperties: false },
  );
  const IngressRule = Type.Object(
    {
      /** Omitted: from anywhere. */
      from: Type.Optional(Type.Array(Peer, { maxItems: 8 })),
      /** Omitted: every port. */
      ports: Type.Optional(Type.Array(Port, { maxItems: 8 })),
    },
    { additionalProperties: false },
  );
  return Type.Object(
    {
      name: KubeName,
      namespace: Type.Optional(KubeName),
      podSelector: Selector,
      policyTypes: Type.Optional(Type.Array(Type.Union([Type.Literal("Ingress"), Type.Literal("Egress")]), { minItems: 1, maxItems: 2 })),
      /** Omitted or empty with policyTypes [Ingress]: the selected pods accept nothing. */
      ingress: Type.Optional(Type.Array(IngressRule, { maxItems: 8 })),
    },
    { additionalProperties: false },
  );
}
