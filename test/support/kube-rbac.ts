import { parseAllDocuments } from "yaml";
import type { RequestAttributes } from "./kube-api-stand-in.js";

interface PolicyRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly resourceNames?: string[];
  readonly verbs?: string[];
}

interface RbacDocument {
  readonly kind?: string;
  readonly metadata?: { name?: string; namespace?: string };
  readonly rules?: PolicyRule[];
  readonly roleRef?: { kind?: string; name?: string };
  readonly subjects?: { kind?: string; name?: string; namespace?: string }[];
}

/** A rule as granted to the subject, with the namespace it applies in (undefined: every namespace). */
export interface GrantedRule extends PolicyRule {
  readonly namespace: string | undefined;
  readonly from: string;
}

/**
 * The rules a ServiceAccount is granted by a set of RBAC manifests (ClusterRoles through
 * ClusterRoleBindings everywhere; Roles and ClusterRoles through RoleBindings in their namespace).
 */
export function grantedRules(
  manifests: string,
  serviceAccount: { namespace: string; name: string },
): GrantedRule[] {
  const documents = parseAllDocuments(manifests).map((document) => document.toJS() as RbacDocument);
  const roles = new Map<string, RbacDocument>();
  for (const document of documents) {
    if (document.kind === "ClusterRole") roles.set(`ClusterRole/${document.metadata?.name}`, document);
    if (document.kind === "Role") {
      roles.set(`Role/${document.metadata?.namespace}/${document.metadata?.name}`, document);
    }
  }
  const granted: GrantedRule[] = [];
  for (const binding of documents) {
    if (binding.kind !== "ClusterRoleBinding" && binding.kind !== "RoleBinding") continue;
    const bound = (binding.subjects ?? []).some(
      (subject) =>
        subject.kind === "ServiceAccount" &&
        subject.name === serviceAccount.name &&
        subject.namespace === serviceAccount.namespace,
    );
    if (!bound) continue;
    const namespace = binding.kind === "RoleBinding" ? binding.metadata?.namespace : undefined;
    const key =
      binding.roleRef?.kind === "Role"
        ? `Role/${namespace}/${binding.roleRef.name}`
        : `ClusterRole/${binding.roleRef?.name}`;
    const role = roles.get(key);
    if (!role) throw new Error(`RBAC: ${binding.kind} ${binding.metadata?.name} refers to missing ${key}`);
    for (const rule of role.rules ?? []) granted.push({ ...rule, namespace, from: key });
  }
  return granted;
}

/** Kubernetes' RBAC authorizer, for the rule fields presage's manifests use. */
export function rbacAllows(rules: readonly GrantedRule[], request: RequestAttributes): boolean {
  return rules.some((rule) => {
    if (rule.namespace !== undefined && rule.namespace !== request.namespace) return false;
    const listed = (values: string[] | undefined, value: string): boolean =>
      values !== undefined && (values.includes("*") || values.includes(value));
    if (!listed(rule.apiGroups, request.group)) return false;
    if (!listed(rule.resources, request.resource)) return false;
    if (!listed(rule.verbs, request.verb)) return false;
    if (rule.resourceNames !== undefined && rule.resourceNames.length > 0) {
      return request.name !== undefined && rule.resourceNames.includes(request.name);
    }
    return true;
  });
}
