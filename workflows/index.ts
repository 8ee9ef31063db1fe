// The workflow bundle's entry point: every workflow type the worker runs.
// Workflow files import only deterministic code (@temporalio/workflow, domain/)
// and activities as types.
export {};
export { dailyAccrualWorkflow } from './accrual/workflow';
export { saleSettlement } from './sales/workflow';
export * from './draws/workflow';
export { lineMarginWorkflow, dailyMarginCheckWorkflow, stockCountMonitorWorkflow } from './margin/workflows';
