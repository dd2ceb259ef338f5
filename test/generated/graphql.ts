/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A point in time, as an ISO 8601 string in UTC (e.g. "2026-11-21T14:54:27.000Z"). */
  DateTime: { input: string; output: string; }
  /** An uploaded file, sent as a part of a multipart request (GraphQL multipart request spec). */
  File: { input: File; output: File; }
};

/** What `addGroupMember` returns: `AddGroupMemberSuccess` or a typed error. */
export type AddGroupMemberResult = AddGroupMemberSuccess | AuthenticationError | NotFoundError | PermissionDeniedError;

/** The user is a member; this applies to their very next request. */
export type AddGroupMemberSuccess = {
  __typename?: 'AddGroupMemberSuccess';
  group: Group;
};

/** The operation needs a signed-in user, or the credentials given were wrong. */
export type AuthenticationError = Error & {
  __typename?: 'AuthenticationError';
  /** What went wrong, and how to fix it. */
  message: Scalars['String']['output'];
};

/** A name is already taken, or a concurrent change got there first. */
export type ConflictError = Error & {
  __typename?: 'ConflictError';
  /** What went wrong, and how to fix it. */
  message: Scalars['String']['output'];
};

/** A new group. Names follow the user name rules and share their namespace. */
export type CreateGroupInput = {
  name: Scalars['String']['input'];
};

/** What `createGroup` returns: `CreateGroupSuccess` or a typed error. */
export type CreateGroupResult = AuthenticationError | ConflictError | CreateGroupSuccess | PermissionDeniedError | ValidationError;

/** The group exists. */
export type CreateGroupSuccess = {
  __typename?: 'CreateGroupSuccess';
  group: Group;
};

/** A new account. Names: letters, digits, ".", "+", "-"; "everyone" is reserved. */
export type CreateUserInput = {
  displayName?: InputMaybe<Scalars['String']['input']>;
  isAdmin?: InputMaybe<Scalars['Boolean']['input']>;
  /** At least 8 characters. */
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

/** What `createUser` returns: `CreateUserSuccess` or a typed error. */
export type CreateUserResult = AuthenticationError | ConflictError | CreateUserSuccess | PermissionDeniedError | ValidationError;

/** The account exists. */
export type CreateUserSuccess = {
  __typename?: 'CreateUserSuccess';
  user: User;
};

/** An expected failure, returned as data. `message` says what was wrong and how to fix it. */
export type Error = {
  /** What went wrong, and how to fix it. */
  message: Scalars['String']['output'];
};

/** A named set of users that can own entities and be granted access. Shares the `~name` namespace with users. */
export type Group = Node & {
  __typename?: 'Group';
  id: Scalars['ID']['output'];
  /** The members of the group, by username. */
  members: Array<User>;
  /** The group name, also its `~owner` namespace. */
  name: Scalars['String']['output'];
};

/** A group and a user. */
export type GroupMemberInput = {
  /** The group name. */
  group: Scalars['String']['input'];
  /** The member's username. */
  username: Scalars['String']['input'];
};

/** A username and password. */
export type LoginInput = {
  password: Scalars['String']['input'];
  username: Scalars['String']['input'];
};

/** What `login` returns: `LoginSuccess` or a typed error. */
export type LoginResult = AuthenticationError | LoginSuccess | ValidationError;

/** You are signed in. Send the token as `Authorization: Bearer <token>`. */
export type LoginSuccess = {
  __typename?: 'LoginSuccess';
  /** An opaque bearer token; the store keeps only its hash, so save it now. */
  token: Scalars['String']['output'];
  /** Who the token signs you in as. */
  viewer: Viewer;
};

/** Which tokens to revoke. */
export type LogoutInput = {
  /** Revoke every token of yours, not only the one in use. */
  all?: InputMaybe<Scalars['Boolean']['input']>;
};

/** What `logout` returns: `LogoutSuccess` or a typed error. */
export type LogoutResult = AuthenticationError | LogoutSuccess;

/** The token (or tokens) can no longer be used. */
export type LogoutSuccess = {
  __typename?: 'LogoutSuccess';
  /** How many tokens were revoked. */
  count: Scalars['Int']['output'];
  /** True when at least one token was revoked. */
  revoked: Scalars['Boolean']['output'];
};

/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type Mutation = {
  __typename?: 'Mutation';
  /** Admins (and the group's admins): adds a user to a group. */
  addGroupMember: AddGroupMemberResult;
  /** Admin only: creates a group. */
  createGroup: CreateGroupResult;
  /** Admin only: creates a user account. */
  createUser: CreateUserResult;
  /** Signs in with a password and returns a bearer token (valid 30 days unless configured otherwise). */
  login: LoginResult;
  /** Revokes the token in use, or with `all: true` every token of yours. */
  logout: LogoutResult;
  /** Admins (and the group's admins): removes a user from a group. */
  removeGroupMember: RemoveGroupMemberResult;
};


/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type MutationAddGroupMemberArgs = {
  input: GroupMemberInput;
};


/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type MutationCreateGroupArgs = {
  input: CreateGroupInput;
};


/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type MutationCreateUserArgs = {
  input: CreateUserInput;
};


/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type MutationLoginArgs = {
  input: LoginInput;
};


/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type MutationLogoutArgs = {
  input: LogoutInput;
};


/** Writes. Each takes one `input` and returns a union of its Success type and the typed errors it can fail with. */
export type MutationRemoveGroupMemberArgs = {
  input: GroupMemberInput;
};

/** An object with a globally unique id, which `node(id:)` looks up. */
export type Node = {
  id: Scalars['ID']['output'];
};

/** The target does not exist, or is not visible to you (the two are indistinguishable). */
export type NotFoundError = Error & {
  __typename?: 'NotFoundError';
  /** What went wrong, and how to fix it. */
  message: Scalars['String']['output'];
};

/** You can see the target but may not do this to it. */
export type PermissionDeniedError = Error & {
  __typename?: 'PermissionDeniedError';
  /** What went wrong, and how to fix it. */
  message: Scalars['String']['output'];
};

/** Reads: everything here obeys the same visibility rules. */
export type Query = {
  __typename?: 'Query';
  /** Looks up any object by its global id; null when missing or not visible to you. */
  node?: Maybe<Node>;
  /** Who you are (whoami); null when you are anonymous. */
  viewer?: Maybe<Viewer>;
};


/** Reads: everything here obeys the same visibility rules. */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};

/** What `removeGroupMember` returns: `RemoveGroupMemberSuccess` or a typed error. */
export type RemoveGroupMemberResult = AuthenticationError | NotFoundError | PermissionDeniedError | RemoveGroupMemberSuccess;

/** The user is no longer a member; this applies to their very next request. */
export type RemoveGroupMemberSuccess = {
  __typename?: 'RemoveGroupMemberSuccess';
  group: Group;
};

/** A person with an account. The username is also the `~username` owner namespace. */
export type User = Node & {
  __typename?: 'User';
  /** A human-friendly name. */
  displayName?: Maybe<Scalars['String']['output']>;
  /** The groups this user belongs to, by name. */
  groups: Array<Group>;
  id: Scalars['ID']['output'];
  /** Store administrators may manage accounts and promulgate. */
  isAdmin: Scalars['Boolean']['output'];
  /** The sign-in name, also the `~owner` namespace. */
  username: Scalars['String']['output'];
};

/** The input was not acceptable; nothing was changed. */
export type ValidationError = Error & {
  __typename?: 'ValidationError';
  /** The input field at fault, when there is one. */
  field?: Maybe<Scalars['String']['output']>;
  /** What went wrong, and how to fix it. */
  message: Scalars['String']['output'];
};

/** Who you are in this request (whoami): your user, your groups and the limits of the token in use. */
export type Viewer = {
  __typename?: 'Viewer';
  /** When the token in use stops working. */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** The groups you belong to right now (membership changes apply to the next request). */
  groups: Array<Group>;
  /** The permissions the token in use is limited to; empty when it carries all of your rights. */
  permissions: Array<Scalars['String']['output']>;
  /** Your account. */
  user: User;
};

/** A new group. Names follow the user name rules and share their namespace. */
export type CreateGroupInput = {
  name: string;
};

/** A new account. Names: letters, digits, ".", "+", "-"; "everyone" is reserved. */
export type CreateUserInput = {
  displayName?: string | null | undefined;
  isAdmin?: boolean | null | undefined;
  /** At least 8 characters. */
  password: string;
  username: string;
};

/** A group and a user. */
export type GroupMemberInput = {
  /** The group name. */
  group: string;
  /** The member's username. */
  username: string;
};

/** A username and password. */
export type LoginInput = {
  password: string;
  username: string;
};

/** Which tokens to revoke. */
export type LogoutInput = {
  /** Revoke every token of yours, not only the one in use. */
  all?: boolean | null | undefined;
};

export type LoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginMutation = { login:
    | { __typename: 'AuthenticationError', message: string }
    | { __typename: 'LoginSuccess', token: string, viewer: { expiresAt: string | null, permissions: Array<string>, user: { username: string, isAdmin: boolean } } }
    | { __typename: 'ValidationError', message: string }
   };

export type LogoutMutationVariables = Exact<{
  input: LogoutInput;
}>;


export type LogoutMutation = { logout:
    | { __typename: 'AuthenticationError', message: string }
    | { __typename: 'LogoutSuccess', revoked: boolean, count: number }
   };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { permissions: Array<string>, expiresAt: string | null, user: { id: string, username: string, displayName: string | null, isAdmin: boolean, groups: Array<{ name: string }> }, groups: Array<{ name: string }> } | null };

export type CreateUserMutationVariables = Exact<{
  input: CreateUserInput;
}>;


export type CreateUserMutation = { createUser:
    | { __typename: 'AuthenticationError', message: string }
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'CreateUserSuccess', user: { id: string, username: string, displayName: string | null, isAdmin: boolean } }
    | { __typename: 'PermissionDeniedError', message: string }
    | { __typename: 'ValidationError', field: string | null, message: string }
   };

export type CreateGroupMutationVariables = Exact<{
  input: CreateGroupInput;
}>;


export type CreateGroupMutation = { createGroup:
    | { __typename: 'AuthenticationError', message: string }
    | { __typename: 'ConflictError', message: string }
    | { __typename: 'CreateGroupSuccess', group: { id: string, name: string, members: Array<{ username: string }> } }
    | { __typename: 'PermissionDeniedError', message: string }
    | { __typename: 'ValidationError', field: string | null, message: string }
   };

export type AddGroupMemberMutationVariables = Exact<{
  input: GroupMemberInput;
}>;


export type AddGroupMemberMutation = { addGroupMember:
    | { __typename: 'AddGroupMemberSuccess', group: { name: string, members: Array<{ username: string }> } }
    | { __typename: 'AuthenticationError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'PermissionDeniedError', message: string }
   };

export type RemoveGroupMemberMutationVariables = Exact<{
  input: GroupMemberInput;
}>;


export type RemoveGroupMemberMutation = { removeGroupMember:
    | { __typename: 'AuthenticationError', message: string }
    | { __typename: 'NotFoundError', message: string }
    | { __typename: 'PermissionDeniedError', message: string }
    | { __typename: 'RemoveGroupMemberSuccess', group: { name: string, members: Array<{ username: string }> } }
   };

export type NodeByIdQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeByIdQuery = { node:
    | { __typename: 'Group', name: string, id: string }
    | { __typename: 'User', username: string, id: string }
   | null };


export const LoginDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Login"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LoginInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LoginSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"token"}},{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"isAdmin"}}]}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"permissions"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<LoginMutation, LoginMutationVariables>;
export const LogoutDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Logout"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LogoutInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"logout"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"LogoutSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revoked"}},{"kind":"Field","name":{"kind":"Name","value":"count"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<LogoutMutation, LogoutMutationVariables>;
export const ViewerDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"viewer"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"isAdmin"}},{"kind":"Field","name":{"kind":"Name","value":"groups"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"groups"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"permissions"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]} as unknown as DocumentNode<ViewerQuery, ViewerQueryVariables>;
export const CreateUserDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateUser"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateUserInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createUser"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CreateUserSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}},{"kind":"Field","name":{"kind":"Name","value":"isAdmin"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ValidationError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CreateUserMutation, CreateUserMutationVariables>;
export const CreateGroupDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateGroup"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateGroupInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createGroup"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"CreateGroupSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"group"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ValidationError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"field"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CreateGroupMutation, CreateGroupMutationVariables>;
export const AddGroupMemberDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AddGroupMember"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"GroupMemberInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"addGroupMember"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"AddGroupMemberSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"group"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<AddGroupMemberMutation, AddGroupMemberMutationVariables>;
export const RemoveGroupMemberDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveGroupMember"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"GroupMemberInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeGroupMember"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RemoveGroupMemberSuccess"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"group"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Error"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<RemoveGroupMemberMutation, RemoveGroupMemberMutationVariables>;
export const NodeByIdDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NodeById"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"User"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Group"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]} as unknown as DocumentNode<NodeByIdQuery, NodeByIdQueryVariables>;