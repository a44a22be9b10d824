{{/*
Helpers of the Astaire chart. They mirror io.astaire.k8s.ManifestRenderer field for field:
k8s/src/test/.../HelmChartTest compares `helm template` with `astaire k8s render`.
*/}}

{{/* Names the chart gives its own objects; a function may not take them. */}}
{{- define "astaire.reservedNames" -}}
{{- list "astaire-ingress" "astaire-egress" "astaire-controller" "astaire-dnsmasq" | toJson -}}
{{- end -}}

{{/* The UDP port of an address "host:port", "[v6]:port" or "host" (4790, VXLAN-GPE). */}}
{{- define "astaire.port" -}}
{{- $port := regexFind ":[0-9]+$" (toString .) | trimPrefix ":" -}}
{{- if $port -}}{{ $port }}{{- else -}}4790{{- end -}}
{{- end -}}

{{/* Image reference. */}}
{{- define "astaire.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{/* Selector labels: (dict "name" NAME "root" $) */}}
{{- define "astaire.selector" -}}
app.kubernetes.io/name: {{ .name | quote }}
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
{{- end -}}

{{/* All labels: (dict "name" NAME "component" COMPONENT "root" $) */}}
{{- define "astaire.labels" -}}
{{ include "astaire.selector" . }}
app.kubernetes.io/component: {{ .component | quote }}
app.kubernetes.io/part-of: "astaire"
app.kubernetes.io/managed-by: {{ .root.Release.Service | quote }}
{{- end -}}

{{/* Metadata of a namespaced object: (dict "name" NAME "component" COMPONENT "root" $) */}}
{{- define "astaire.metadata" -}}
metadata:
  name: {{ .name | quote }}
  namespace: {{ .namespace | default .root.Release.Namespace | quote }}
  labels:
    {{- include "astaire.labels" . | nindent 4 }}
{{- end -}}

{{/* DNS_IP from the node's IP, when dnsmasq is on. */}}
{{- define "astaire.dnsEnv" -}}
{{- if .Values.dnsmasq.enabled }}
- name: DNS_IP
  valueFrom:
    fieldRef:
      apiVersion: v1
      fieldPath: status.hostIP
{{- end }}
{{- end -}}

{{- define "astaire.tokenEnv" -}}
- name: ASTAIRE_TOKEN
  valueFrom:
    secretKeyRef:
      name: astaire-controller-token
      key: token
      optional: false
{{- end -}}

{{- define "astaire.nodeTokenEnv" -}}
- name: ASTAIRE_NODE_TOKEN
  valueFrom:
    secretKeyRef:
      name: astaire-node-token
      key: token
      optional: false
{{- end -}}

{{/* Where nodes get their topology. */}}
{{- define "astaire.topologyArgs" -}}
{{- if .Values.controller.nodesFromController }}
- --controller
- http://astaire-controller:8080
{{- else }}
- --topology
- /etc/astaire/chain.yaml
{{- end }}
{{- end -}}

{{/* Env of a node container. */}}
{{- define "astaire.nodeEnv" -}}
{{- include "astaire.dnsEnv" . }}
{{- if .Values.controller.nodesFromController }}
{{ include "astaire.nodeTokenEnv" . }}
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
{{- end -}}

{{- define "astaire.nonRoot" -}}
runAsNonRoot: true
runAsUser: 10001
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Pod-level settings shared by every Astaire pod, with the dns-bootstrap init container. */}}
{{- define "astaire.podCommon" -}}
serviceAccountName: astaire
automountServiceAccountToken: false
securityContext:
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- if .Values.dnsmasq.enabled }}
initContainers:
  - name: dns-bootstrap
    image: {{ include "astaire.image" . | quote }}
    args: [dns-bootstrap]
    env:
      {{- include "astaire.dnsEnv" . | nindent 6 }}
    resources:
      requests: {cpu: 10m, memory: 16Mi}
      limits: {cpu: 100m, memory: 32Mi}
    securityContext:
      runAsUser: 0
      runAsNonRoot: false
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
{{- end }}
{{- end -}}

{{- define "astaire.scrapeAnnotations" -}}
annotations:
  prometheus.io/scrape: "true"
  prometheus.io/port: "9090"
  prometheus.io/path: /metrics
{{- end -}}

{{/* The chain spec: chainYaml (a whole chain.yaml, e.g. --set-file chainYaml=chain.yaml) wins over chain. */}}
{{- define "astaire.chain" -}}
{{- if .Values.chainYaml -}}
{{- $chain := fromYaml .Values.chainYaml -}}
{{- if hasKey $chain "Error" -}}
{{- fail (printf "chainYaml: is not valid YAML: %s" $chain.Error) -}}
{{- end -}}
{{- toJson $chain -}}
{{- else -}}
{{- toJson (required "chain (or chainYaml): the chain spec is required" .Values.chain) -}}
{{- end -}}
{{- end -}}
