{{/*
Helpers of the Astaire chart. They mirror io.astaire.k8s.ManifestRenderer field for field:
k8s/src/test/.../HelmChartTest compares `helm template` with `astaire k8s render`.
The release name is the chain instance: every object is named <release>-..., as `render --instance`.
*/}}

{{/* An object of this release: (dict "name" SUFFIX "root" $) -> <release>-SUFFIX */}}
{{- define "astaire.name" -}}
{{- printf "%s-%s" .root.Release.Name .name -}}
{{- end -}}

{{/* The UDP port of an address "host:port", "[v6]:port" or "host" (4790, VXLAN-GPE). */}}
{{- define "astaire.port" -}}
{{- $port := regexFind ":[0-9]+$" (toString .) | trimPrefix ":" -}}
{{- if $port -}}{{ $port }}{{- else -}}4790{{- end -}}
{{- end -}}

{{/* Image reference: by digest when image.digest is set (what production should pin), else by tag. */}}
{{- define "astaire.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* Selector labels: (dict "name" NAME "root" $ ["instance" I]) */}}
{{- define "astaire.selector" -}}
app.kubernetes.io/name: {{ .name | quote }}
app.kubernetes.io/instance: {{ .instance | default .root.Release.Name | quote }}
{{- end -}}

{{/* All labels: (dict "name" NAME "component" COMPONENT "root" $ ["instance" I]) */}}
{{- define "astaire.labels" -}}
{{ include "astaire.selector" . }}
app.kubernetes.io/component: {{ .component | quote }}
app.kubernetes.io/part-of: "astaire"
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
{{- end -}}

{{/* Metadata of a namespaced object: (dict "name" NAME "component" COMPONENT "root" $ ["namespace" NS] ["instance" I]) */}}
{{- define "astaire.metadata" -}}
metadata:
  name: {{ .name | quote }}
  namespace: {{ .namespace | default .root.Release.Namespace | quote }}
  labels:
    {{- include "astaire.labels" . | nindent 4 }}
{{- end -}}

{{/*
The controller token, once per render (memoized in .Values): controller.token if set, else on
`helm upgrade` the token of the Secret this release already has (so it is kept), else 64 random
characters (an install has no Secret to keep).
*/}}
{{- define "astaire.token" -}}
{{- if not (hasKey .Values "_astaireToken") -}}
{{- $token := .Values.controller.token -}}
{{- if not $token -}}
{{- $existing := dict -}}
{{- if .Release.IsUpgrade -}}
{{- $existing = lookup "v1" "Secret" .Release.Namespace (include "astaire.name" (dict "name" "controller-token" "root" .)) -}}
{{- end -}}
{{- if and $existing $existing.data (hasKey $existing.data "token") -}}
{{- $token = index $existing.data "token" | b64dec -}}
{{- else -}}
{{- $token = randAlphaNum 64 -}}
{{- end -}}
{{- end -}}
{{- if lt (len $token) 16 -}}
{{- fail "controller.token: must be at least 16 characters" -}}
{{- end -}}
{{- $_ := set .Values "_astaireToken" $token -}}
{{- end -}}
{{- .Values._astaireToken -}}
{{- end -}}

{{/* The node secret, derived from the token as ManifestRenderer.nodeSecret does. */}}
{{- define "astaire.nodeSecret" -}}
{{- printf "astaire-node-token:%s" (include "astaire.token" .) | sha256sum -}}
{{- end -}}

{{/* Changes with the token, reveals nothing of it (ManifestRenderer.tokenChecksum). */}}
{{- define "astaire.tokenChecksum" -}}
{{- printf "astaire-token-checksum:%s" (include "astaire.token" .) | sha256sum | trunc 16 -}}
{{- end -}}

{{/* DNS_IP from the node's IP, when pods ask the node-local cache first. */}}
{{- define "astaire.dnsEnv" -}}
{{- if .Values.dnsmasq.enabled }}
- name: DNS_IP
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: status.hostIP
{{- end }}
{{- end -}}

{{/* A Secret's token as an env var: (dict "env" ENV "secret" SUFFIX "root" $) */}}
{{- define "astaire.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ include "astaire.name" (dict "name" .secret "root" .root) }}
      key: token
      optional: false
{{- end -}}

{{/* Where nodes get their topology. */}}
{{- define "astaire.topologyArgs" -}}
{{- if .Values.controller.nodesFromController }}
- --controller
- http://{{ include "astaire.name" (dict "name" "controller" "root" .) }}:8080
{{- else }}
- --topology
- /etc/astaire/chain.yaml
{{- end }}
{{- end -}}

{{/* Env of a node container. */}}
{{- define "astaire.nodeEnv" -}}
{{- include "astaire.dnsEnv" . }}
{{- if .Values.controller.nodesFromController }}
{{ include "astaire.secretEnv" (dict "env" "ASTAIRE_NODE_TOKEN" "secret" "node-token" "root" .) }}
{{- end }}
{{- end -}}

{{/* Probes and ports of a node: (dict "port" UDP_PORT "root" $) */}}
{{- define "astaire.nodeProbesAndPorts" -}}
ports:
  - name: nsh
    containerPort: {{ .port }}
    protocol: UDP
  - name: metrics
    containerPort: 9090
    protocol: TCP
readinessProbe:
  httpGet:
    path: /readyz
    port: 9090
  initialDelaySeconds: 0
  periodSeconds: 5
  failureThreshold: 3
livenessProbe:
  httpGet:
    path: /healthz
    port: 9090
  initialDelaySeconds: 10
  periodSeconds: 10
  failureThreshold: 3
volumeMounts:
  - name: chain
    mountPath: /etc/astaire
    readOnly: true
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{- define "astaire.nonRoot" -}}
runAsNonRoot: true
runAsUser: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Pod-level settings shared by every Astaire pod (no init container: DNS_IP is asked in process). */}}
{{- define "astaire.podCommon" -}}
serviceAccountName: {{ .Release.Name | quote }}
automountServiceAccountToken: false
securityContext:
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* The emptyDir the JVM writes to, the root file system being read-only. */}}
{{- define "astaire.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{/* Pod template annotations: (dict "scraped" BOOL "component" C "root" $) */}}
{{- define "astaire.podAnnotations" -}}
{{- $token := or (eq .component "controller") (and .root.Values.controller.enabled .root.Values.controller.nodesFromController) -}}
{{- if or .scraped $token }}
annotations:
  {{- if .scraped }}
  prometheus.io/scrape: "true"
  prometheus.io/port: "9090"
  prometheus.io/path: /metrics
  {{- end }}
  {{- if $token }}
  astaire.io/token-checksum: {{ include "astaire.tokenChecksum" .root | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Replicas spread over nodes where the cluster allows it: (dict "name" NAME "root" $) */}}
{{- define "astaire.spread" -}}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "astaire.selector" . | nindent 8 }}
{{- end -}}

{{/*
The chain spec: `chain` from values when it is set, else `chainYaml` (a whole chain.yaml, e.g.
--set-file chainYaml=chain.yaml; by default the example chain). The example lives in a string so
that Helm's merging of values cannot mix its rules or edges into a user's `chain`. Checked (_validate.tpl).
*/}}
{{- define "astaire.chain" -}}
{{- if .Values.chain -}}
{{- include "astaire.validate" (dict "chain" .Values.chain "root" .) -}}
{{- toJson .Values.chain -}}
{{- else -}}
{{- $chain := fromYaml (required "chain (or chainYaml): the chain spec is required" .Values.chainYaml) -}}
{{- if hasKey $chain "Error" -}}
{{- fail (printf "chainYaml: is not valid YAML: %s" $chain.Error) -}}
{{- end -}}
{{- include "astaire.validate" (dict "chain" $chain "root" .) -}}
{{- toJson $chain -}}
{{- end -}}
{{- end -}}

{{/* Replicas of function F: replicas.<F> from values, else the chain's, else 1; 0 is kept (and refused). */}}
{{- define "astaire.replicas" -}}
{{- if hasKey .root.Values.replicas .f.name -}}
{{- index .root.Values.replicas .f.name -}}
{{- else if hasKey .f "replicas" -}}
{{- .f.replicas -}}
{{- else -}}
1
{{- end -}}
{{- end -}}
