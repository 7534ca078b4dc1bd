/**
 * A NetworkPolicy (networking.k8s.io/v1) as lab data, in the shape of its
 * YAML: the pods it selects (`podSelector.matchLabels`, `{}` for all of its
 * namespace), `policyTypes`, and ingress rules whose `from` peers are a
 * podSelector, a namespaceSelector, or both in one item, or an ipBlock
 * (a CIDR with `except` holes), and egress rules whose `to` peers are the
 * same. Two items of `from` add up (OR); one item holding both selectors
 * narrows (AND): the lab file keeps that structure exactly, because it is
 * the lesson. Ports are numbers (named ports and endPort are not modelled);
 * validate-network-policy.ts checks what the schema cannot.
 */
import { Type, type TSchema } from "typebox";

export function networkPolicySchema<N extends TSchema, L extends TSchema>({ KubeName, Labels }: { KubeName: N; Labels: L }) {
  const Selector = Type.Object({ matchLabels: Type.Optional(Labels) }, { additionalProperties: false, description: "a label selector: matchLabels only; {} selects everything" });
  const Cidr = Type.String({ pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$", description: "an IPv4 CIDR" });
  const IpBlock = Type.Object({ cidr: Cidr, except: Type.Optional(Type.Array(Cidr, { maxItems: 8 })) }, { additionalProperties: false, description: "addresses by CIDR, less the except CIDRs inside it" });
  const Peer = Type.Object(
    {
      podSelector: Type.Optional(Selector),
      namespaceSelector: Type.Optional(Selector),
      ipBlock: Type.Optional(IpBlock),
    },
    { additionalProperties: false, description: "a peer: pods of the policy's namespace (podSelector), every pod of the namespaces selected (namespaceSelector), or both in one item: those pods of those namespaces; or, alone, an ipBlock" },
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
  const EgressRule = Type.Object(
    {
      /** Omitted: to anywhere. */
      to: Type.Optional(Type.Array(Peer, { maxItems: 8 })),
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
      /** Omitted or empty with Egress among policyTypes: the selected pods send nothing. */
      egress: Type.Optional(Type.Array(EgressRule, { maxItems: 8 })),
    },
    { additionalProperties: false },
  );
}
