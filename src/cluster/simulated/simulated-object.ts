import type { Condition, ContainerSpec, PodProblem, Workload, WorkloadRef } from "../../core/domain/workload.js";

/** A pod of a simulated workload: which template revision it runs and whether it serves. */
export interface SimulatedPod {
  readonly name: string;
  /** The pod-template-hash of the template it was created from. */
  readonly revision: string;
  /** StatefulSet ordinal. */
  readonly ordinal?: number;
  readonly containers: readonly ContainerSpec[];
  ready: boolean;
  /** Why it does not serve, as the kubelet reports it (undefined for a healthy pod). */
  problem?: PodProblem;
  /** container name -> the imageID the node reported when the pod started. */
  readonly imageIds?: Readonly<Record<string, string>>;
}

/** The mutable state behind one simulated object; only the simulated cluster touches it. */
export interface SimulatedObject {
  readonly ref: WorkloadRef;
  readonly uid: string;
  resourceVersion: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Init containers first, then containers. */
  containers: ContainerSpec[];
  fieldManagers: string[];
  suspended?: boolean;
  /** the pod template's imagePullSecrets names. */
  pullSecrets?: string[];
  generation: number;
  observedGeneration: number;
  /** Deployment/StatefulSet spec.replicas; DaemonSet: node count. */
  desired: number;
  paused: boolean;
  strategy?: string;
  maxSurge: number;
  maxUnavailable: number;
  partition?: number;
  progressDeadlineSeconds?: number;
  pods: SimulatedPod[];
  /** The revision the controller rolls towards (set when it observes a generation). */
  updateRevision: string;
  /** The containers of the update revision's template. */
  updateContainers: readonly ContainerSpec[];
  /** StatefulSet status.currentRevision. */
  currentRevision: string;
  /** Deployment Progressing condition (Available is derived). */
  progressing?: Condition;
  /** Clock time (ms) of the controller's last progress, for progressDeadlineSeconds. */
  lastProgressAt: number;
  /** Timers owned by this object, cancelled when it is removed. */
  readonly timers: Set<() => void>;
  /** The pending controller step, if one is scheduled. */
  controllerTimer?: () => void;
  deadlineTimer?: () => void;
  /** The frozen view handed out until the next change. */
  snapshot?: Workload;
}
